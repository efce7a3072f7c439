package io.multiplicity.host.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ScrollbackTest {

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static void append(Scrollback scrollback, String text) {
        byte[] data = bytes(text);
        scrollback.append(data, 0, data.length);
    }

    @Test
    void keepsEverythingWhileThereIsRoom() {
        Scrollback scrollback = new Scrollback(16);
        append(scrollback, "boot ");
        append(scrollback, "ok");
        assertArrayEquals(bytes("boot ok"), scrollback.snapshot());
        assertEquals(7, scrollback.written());
    }

    @Test
    void keepsOnlyTheNewestBytesOnceFull() {
        Scrollback scrollback = new Scrollback(8);
        append(scrollback, "abcdef");
        append(scrollback, "ghijk");
        assertArrayEquals(bytes("defghijk"), scrollback.snapshot());
    }

    @Test
    void anAppendLargerThanTheRingKeepsItsTail() {
        Scrollback scrollback = new Scrollback(4);
        append(scrollback, "xy");
        append(scrollback, "0123456789");
        assertArrayEquals(bytes("6789"), scrollback.snapshot());
        append(scrollback, "ab");
        assertArrayEquals(bytes("89ab"), scrollback.snapshot());
        assertEquals(14, scrollback.written());
    }

    @Test
    void aQuietConsoleTakesOnlyWhatItPrintedAndAChattyOneItsCapacity() {
        Scrollback quiet = new Scrollback(1024 * 1024);
        assertEquals(0, quiet.footprint());
        append(quiet, "login: ");
        assertTrue(quiet.footprint() <= 4096, "a few bytes printed take one small block: " + quiet.footprint());
        assertArrayEquals(bytes("login: "), quiet.snapshot());

        Scrollback chatty = new Scrollback(10_000);
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < 3000; i++) {
            String line = "line " + i + "\n";
            append(chatty, line);
            all.writeBytes(bytes(line));
        }
        byte[] everything = all.toByteArray();
        assertEquals(10_000, chatty.footprint());
        assertArrayEquals(java.util.Arrays.copyOfRange(everything, everything.length - 10_000, everything.length),
                chatty.snapshot(), "the last 10,000 bytes, oldest first, across the ring's growth and wrap");
    }

    @Test
    void wrapsExactlyAtTheEdge() {
        Scrollback scrollback = new Scrollback(4);
        append(scrollback, "abcd");
        assertArrayEquals(bytes("abcd"), scrollback.snapshot());
        append(scrollback, "e");
        assertArrayEquals(bytes("bcde"), scrollback.snapshot());
    }
}

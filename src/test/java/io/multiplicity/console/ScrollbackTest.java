package io.multiplicity.console;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

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
    void wrapsExactlyAtTheEdge() {
        Scrollback scrollback = new Scrollback(4);
        append(scrollback, "abcd");
        assertArrayEquals(bytes("abcd"), scrollback.snapshot());
        append(scrollback, "e");
        assertArrayEquals(bytes("bcde"), scrollback.snapshot());
    }
}

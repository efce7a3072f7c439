package io.multiplicity.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A read-only viewer's RFB stream reaches the VM without a key, a pointer move, a clipboard, a
 * power action or a QEMU key event, however the stream is split; a writer's passes unchanged.
 */
class RfbInputTest {

    static final Instant START = Instant.parse("2031-01-01T00:00:00Z");

    /** What noVNC sends: the handshake, the view set-up, then input between update requests. */
    static byte[] session(byte[]... input) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(view());
        for (byte[] message : input) {
            out.writeBytes(message);
            out.writeBytes(updateRequest());
        }
        return out.toByteArray();
    }

    static byte[] view() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("RFB 003.008\n".getBytes(StandardCharsets.US_ASCII));
        out.write(1);                        // security type None
        out.write(1);                        // ClientInit: shared
        out.writeBytes(ByteBuffer.allocate(20).put((byte) 0).array());           // SetPixelFormat
        out.writeBytes(ByteBuffer.allocate(12).put((byte) 2).put((byte) 0).putShort((short) 2)
                .putInt(0).putInt(-258).array());                                   // SetEncodings: 2
        out.writeBytes(updateRequest());
        return out.toByteArray();
    }

    static byte[] updateRequest() {
        return ByteBuffer.allocate(10).put((byte) 3).put((byte) 1).putShort((short) 0).putShort((short) 0)
                .putShort((short) 1024).putShort((short) 768).array();
    }

    static byte[] key(int keysym) {
        return ByteBuffer.allocate(8).put((byte) 4).put((byte) 1).putShort((short) 0).putInt(keysym).array();
    }

    static byte[] pointer(int x, int y) {
        return ByteBuffer.allocate(6).put((byte) 5).put((byte) 1).putShort((short) x).putShort((short) y).array();
    }

    static byte[] clipboard(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        return ByteBuffer.allocate(8 + bytes.length).put((byte) 6).put(new byte[3]).putInt(bytes.length).put(bytes)
                .array();
    }

    static byte[] qemuKey() {
        return ByteBuffer.allocate(12).put((byte) 255).put((byte) 0).putShort((short) 1).putInt(0x61).putInt(30)
                .array();
    }

    static byte[] xvpReboot() {
        return new byte[] {(byte) 250, 0, 1, 3};
    }

    static byte[] through(RfbInput filter, byte[] stream, long seed) {
        Random random = new Random(seed);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int at = 0;
        while (at < stream.length) {
            int length = Math.min(stream.length - at, 1 + random.nextInt(seed == 0 ? stream.length : 13));
            byte[] chunk = java.util.Arrays.copyOfRange(stream, at, at + length);
            out.writeBytes(filter.accept(chunk, START.plusSeconds(at)));
            at += length;
        }
        return out.toByteArray();
    }

    @Test
    void aReadOnlyViewersInputNeverPassesHoweverTheStreamIsSplit() {
        byte[] stream = session(key(0x61), pointer(10, 20), clipboard("rm -rf /"), qemuKey(), xvpReboot());
        byte[] expected = session(new byte[0], new byte[0], new byte[0], new byte[0], new byte[0]);
        for (long seed = 0; seed < 50; seed++) {
            RfbInput readOnly = new RfbInput(true, START);
            assertArrayEquals(expected, through(readOnly, stream, seed), "split with seed " + seed);
            assertEquals(5, readOnly.dropped());
            assertNull(readOnly.failure());
        }
    }

    @Test
    void aWritersStreamPassesUnchangedAndItsInputCountsAsActivity() {
        byte[] stream = session(key(0x61), pointer(10, 20), clipboard("hello"), qemuKey());
        RfbInput writer = new RfbInput(false, START);
        assertArrayEquals(stream, through(writer, stream, 7));
        assertEquals(0, writer.dropped());
        assertThat(writer.lastInput()).isAfter(START);

        RfbInput watcher = new RfbInput(false, START);
        through(watcher, session(), 3);
        assertEquals(START, watcher.lastInput(), "update requests are no input");
    }

    @Test
    void whatCannotBeDelimitedEndsAReadOnlySessionAndPassesForAWriter() {
        byte[] unknown = {(byte) 199, 1, 2, 3};
        byte[] stream = session(unknown, key(0x61));
        RfbInput readOnly = new RfbInput(true, START);
        byte[] passed = through(readOnly, stream, 0);
        assertThat(readOnly.failure()).contains("unknown type 199");
        assertArrayEquals(view(), passed, "nothing after it");

        RfbInput writer = new RfbInput(false, START);
        assertArrayEquals(stream, through(writer, stream, 5));
    }
}

package io.multiplicity.agent.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The digest of a send stream is the same on every host holding the snapshot: the pool's name in
 * the begin record and the end record's checksum over it do not count, everything else does.
 */
class SendDigestTest {

    @Test
    void theSnapshotsPoolAndTheEndChecksumDoNotCount() throws IOException {
        byte[] onA = stream("poola/multiplicity/images/web@v1", 7, (byte) 1);
        byte[] onB = stream("otherpool/multiplicity/images/web@v1", 9, (byte) 1);
        assertEquals(SendDigest.of(new ByteArrayInputStream(onA), "web@v1"),
                SendDigest.of(new ByteArrayInputStream(onB), "web@v1"));
    }

    @Test
    void theDataCounts() throws IOException {
        byte[] one = stream("p/multiplicity/images/web@v1", 7, (byte) 1);
        byte[] other = stream("p/multiplicity/images/web@v1", 7, (byte) 2);
        assertNotEquals(SendDigest.of(new ByteArrayInputStream(one), "web@v1"),
                SendDigest.of(new ByteArrayInputStream(other), "web@v1"));
    }

    @Test
    void aCutStreamIsAnotherAndOneShorterThanTwoRecordsNone() throws IOException {
        byte[] whole = stream("p/multiplicity/images/web@v1", 7, (byte) 1);
        byte[] cut = Arrays.copyOf(whole, whole.length - 5);
        assertNotEquals(SendDigest.of(new ByteArrayInputStream(whole), "web@v1"),
                SendDigest.of(new ByteArrayInputStream(cut), "web@v1"));
        assertThrows(IOException.class, () -> SendDigest.of(new ByteArrayInputStream(new byte[100]), "web@v1"));
        assertThrows(IOException.class, () -> SendDigest.of(new ByteArrayInputStream(new byte[400]), "web@v1"));
    }

    /** A begin record naming {@code name}, a payload of 100 000 bytes of {@code fill}, an end record with {@code checksum}. */
    private static byte[] stream(String name, int checksum, byte fill) {
        ByteBuffer buffer = ByteBuffer.allocate(SendDigest.RECORD * 2 + 100_000).order(ByteOrder.LITTLE_ENDIAN);
        byte[] begin = new byte[SendDigest.RECORD];
        byte[] toname = name.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(toname, 0, begin, SendDigest.TONAME_OFFSET, toname.length);
        buffer.put(begin);
        byte[] payload = new byte[100_000];
        Arrays.fill(payload, fill);
        buffer.put(payload);
        int end = buffer.position();
        buffer.putInt(SendDigest.DRR_END);
        buffer.putInt(0);
        for (int i = 0; i < 4; i++) {
            buffer.putLong(checksum + i);
        }
        buffer.position(end + SendDigest.RECORD);
        return buffer.array();
    }
}

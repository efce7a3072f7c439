package io.multiplicity.agent.storage;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The framing of a moving instance's stream, which is several {@code zfs send} streams in a row
 * (the oldest snapshot whole, then the others as one incremental package; see
 * {@link ZfsStorage#send}): a header (magic and the number of parts), then each part as records of
 * a 4-byte big-endian length and that many bytes, a record of length 0 ending the part. The
 * receiving side feeds each part to a {@code zfs receive} of its own and knows a stream that broke
 * off from a whole one.
 */
final class MoveStream {

    private static final byte[] MAGIC = "multiplicity-move-1\n".getBytes(StandardCharsets.US_ASCII);
    /** More parts than a move ever sends: a header naming more is not ours. */
    static final int MAX_PARTS = 16;
    /** The largest record the writer makes; a reader refuses larger ones. */
    static final int MAX_RECORD = 1 << 20;

    private MoveStream() {
    }

    /** The stream's header for {@code parts} parts. */
    static byte[] header(int parts) {
        return ByteBuffer.allocate(MAGIC.length + Integer.BYTES).put(MAGIC).putInt(parts).array();
    }

    /** One record holding {@code length} bytes of {@code data}; length 0 ends a part. */
    static byte[] record(byte[] data, int length) {
        return ByteBuffer.allocate(Integer.BYTES + length).putInt(length).put(data, 0, length).array();
    }

    /** Reads a stream written in this framing, one part after the other. */
    static final class Reader {

        private final DataInputStream in;
        private final int parts;

        /** Reads the header; IOException when the stream is not a move stream or ends before its header. */
        Reader(InputStream stream) throws IOException {
            this.in = new DataInputStream(stream);
            byte[] magic = new byte[MAGIC.length];
            try {
                in.readFully(magic);
                if (!Arrays.equals(magic, MAGIC)) {
                    throw new IOException("not a moving instance's stream");
                }
                parts = in.readInt();
            } catch (EOFException e) {
                throw new IOException("the stream broke off before its header ended", e);
            }
            if (parts < 1 || parts > MAX_PARTS) {
                throw new IOException("the stream names " + parts + " parts");
            }
        }

        int parts() {
            return parts;
        }

        /**
         * The next record's bytes: empty at the end of a part. IOException ("broke off") when the
         * stream ends in the middle of a part.
         */
        byte[] next() throws IOException {
            try {
                int length = in.readInt();
                if (length < 0 || length > MAX_RECORD) {
                    throw new IOException("a record of " + length + " bytes is not part of a move stream");
                }
                byte[] data = new byte[length];
                in.readFully(data);
                return data;
            } catch (EOFException e) {
                throw new IOException("the stream broke off in the middle of a part", e);
            }
        }

        /** After the last part: IOException unless the stream ends there. */
        void expectEnd() throws IOException {
            if (in.read() >= 0) {
                throw new IOException("the stream goes on after its last part");
            }
        }
    }
}

package io.multiplicity.agent.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The SHA-256 of a {@code zfs send} stream of one snapshot, taken so that it is the same on every
 * host holding that snapshot. A send stream is a sequence of records, each a fixed 312-byte header
 * ({@code dmu_replay_record_t}) and its payload. Two of its fields depend on where the snapshot is:
 * the first record's ({@code DRR_BEGIN}) {@code drr_toname}, the snapshot's full name with its pool,
 * and the last record's ({@code DRR_END}) {@code drr_checksum}, a Fletcher-4 over the stream before
 * it, so over that name too. The digest reads the name as the caller gives it (a name the same
 * everywhere) and the end's checksum as zeros.
 */
final class SendDigest {

    /** Size of a record's header, {@code sizeof(dmu_replay_record_t)}. */
    static final int RECORD = 312;
    /** {@code drr_toname} in a {@code DRR_BEGIN} header: after type, payload length, magic, version, time, type, flags, toguid, fromguid. */
    static final int TONAME_OFFSET = 56;
    /** {@code MAXNAMELEN}. */
    static final int TONAME_LENGTH = 256;
    /** {@code drr_checksum} in a {@code DRR_END} header: after type and payload length; 4 × 8 bytes. */
    static final int END_CHECKSUM_OFFSET = 8;
    static final int END_CHECKSUM_LENGTH = 32;
    /** {@code DRR_END}, the stream's last record type. */
    static final int DRR_END = 5;

    private SendDigest() {
    }

    /** The digest of {@code stream}, reading its snapshot's name as {@code name}. */
    static String of(InputStream stream, String name) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] first = stream.readNBytes(RECORD);
        if (first.length < RECORD) {
            throw new IOException("a send stream shorter than one record");
        }
        byte[] toname = Arrays.copyOf(name.getBytes(StandardCharsets.UTF_8), TONAME_LENGTH);
        System.arraycopy(toname, 0, first, TONAME_OFFSET, TONAME_LENGTH);
        // The rest goes through a window that holds back the last RECORD bytes, the end record.
        byte[] window = new byte[1 << 16];
        int held = 0;
        boolean firstIsLast = true;
        byte[] tail = first;
        int read;
        while ((read = stream.read(window, held, window.length - held)) >= 0) {
            if (firstIsLast && read > 0) {
                digest.update(first);
                firstIsLast = false;
            }
            held += read;
            if (held > RECORD) {
                digest.update(window, 0, held - RECORD);
                System.arraycopy(window, held - RECORD, window, 0, RECORD);
                held = RECORD;
            }
        }
        if (!firstIsLast) {
            if (held < RECORD) {
                throw new IOException("a send stream of a begin record and less than an end record");
            }
            tail = Arrays.copyOf(window, RECORD);
        }
        if (isEnd(tail)) {
            Arrays.fill(tail, END_CHECKSUM_OFFSET, END_CHECKSUM_OFFSET + END_CHECKSUM_LENGTH, (byte) 0);
        }
        digest.update(tail);
        return HexFormat.of().formatHex(digest.digest());
    }

    /** Whether a record header is a {@code DRR_END}, written in either byte order. */
    private static boolean isEnd(byte[] header) {
        int little = (header[0] & 0xff) | (header[1] & 0xff) << 8 | (header[2] & 0xff) << 16 | (header[3] & 0xff) << 24;
        int big = (header[3] & 0xff) | (header[2] & 0xff) << 8 | (header[1] & 0xff) << 16 | (header[0] & 0xff) << 24;
        return little == DRR_END || big == DRR_END;
    }
}

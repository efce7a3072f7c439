package io.multiplicity.console;

/**
 * The last {@code capacity} bytes a console printed: a ring that overwrites its oldest bytes.
 * Thread-safe.
 */
public final class Scrollback {

    private final byte[] ring;
    private long written;

    public Scrollback(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        this.ring = new byte[capacity];
    }

    public synchronized void append(byte[] data, int offset, int length) {
        if (length > ring.length) {
            // Only the tail survives; skipping the head keeps the positions what they would be.
            offset += length - ring.length;
            written += length - ring.length;
            length = ring.length;
        }
        int start = (int) (written % ring.length);
        int first = Math.min(length, ring.length - start);
        System.arraycopy(data, offset, ring, start, first);
        if (first < length) {
            System.arraycopy(data, offset + first, ring, 0, length - first);
        }
        written += length;
    }

    /** Everything kept, oldest first. */
    public synchronized byte[] snapshot() {
        int size = (int) Math.min(written, ring.length);
        byte[] copy = new byte[size];
        if (written <= ring.length) {
            System.arraycopy(ring, 0, copy, 0, size);
        } else {
            int start = (int) (written % ring.length);
            System.arraycopy(ring, start, copy, 0, ring.length - start);
            System.arraycopy(ring, 0, copy, ring.length - start, start);
        }
        return copy;
    }

    /** Bytes ever appended. */
    public synchronized long written() {
        return written;
    }
}

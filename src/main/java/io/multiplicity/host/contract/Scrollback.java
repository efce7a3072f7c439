package io.multiplicity.host.contract;

import java.util.Arrays;

/**
 * The last {@code capacity} bytes a console printed: a ring that overwrites its oldest bytes. Its
 * memory grows with what the console prints (doubling, from 4 KiB up to the capacity), so a quiet
 * console holds only what it printed; it wraps only once it has its full capacity. Kept by the host
 * agent for each running instance's console and by the control plane for each console it has open.
 * Thread-safe.
 */
public final class Scrollback {

    private final int capacity;
    private byte[] ring = new byte[0];
    private long written;

    public Scrollback(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        this.capacity = capacity;
    }

    public synchronized void append(byte[] data, int offset, int length) {
        if (length <= 0) {
            return;
        }
        if (ring.length < capacity && written + length > ring.length) {
            // Not wrapped yet, so every byte keeps its position in the larger array.
            long needed = Math.max(written + length, Math.max(4096L, 2L * ring.length));
            ring = Arrays.copyOf(ring, (int) Math.min(capacity, needed));
        }
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

    /** Bytes of memory the ring takes now. */
    public synchronized int footprint() {
        return ring.length;
    }
}

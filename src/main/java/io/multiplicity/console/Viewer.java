package io.multiplicity.console;

/** One browser attached to a console, as the broker sees it. */
public interface Viewer {

    /** Identifies the viewer in announcements. */
    String name();

    /** Sends console output; returns false when the viewer is too far behind and must be dropped. */
    boolean output(byte[] data);

    /** Output sent to the viewer and not yet written to its connection. */
    default long pending() {
        return 0;
    }

    /**
     * Waits until at most {@code atMost} bytes are pending, or {@code timeoutNanos} passed; returns
     * whether they are. This one looks every 200 µs; a viewer that knows when its output leaves wakes
     * the caller then.
     */
    default boolean awaitPending(long atMost, long timeoutNanos) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        while (pending() > atMost) {
            if (System.nanoTime() >= deadline) {
                return false;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(200_000);
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
        return true;
    }

    /** Sends a control message (JSON text). */
    void control(String json);

    /** Ends the viewer's connection. */
    void close(int code, String reason);
}

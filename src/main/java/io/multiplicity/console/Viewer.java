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

    /** Sends a control message (JSON text). */
    void control(String json);

    /** Ends the viewer's connection. */
    void close(int code, String reason);
}

package io.multiplicity.console;

import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.WebSocketConnection;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A browser's WebSocket as a console viewer. Output is sent without blocking, one frame at a time:
 * what arrives while a frame is being written waits and leaves as one larger frame (up to
 * {@link #MAX_FRAME} bytes), so a fast console costs few frames and a keystroke's echo still leaves
 * at once. The bytes not yet written to the socket are counted, and a viewer whose count passes its
 * limit is reported too slow instead of being buffered further. Control messages and the close
 * keep their place after the output sent before them.
 */
final class SocketViewer implements Viewer {

    /**
     * The largest binary frame sent; output that piles up is cut into frames of at most this size,
     * the server's largest WebSocket frame ({@code quarkus.websockets-next.server.max-frame-size};
     * larger messages would leave as fragments). One frame is one hand-off to the connection's event
     * loop, so a flood leaves in few of them.
     */
    static final int MAX_FRAME = 256 * 1024;

    private final WebSocketConnection connection;
    private final String name;
    private final long limit;
    private final AtomicLong pending = new AtomicLong();
    final AtomicLong bytesOut = new AtomicLong();
    final AtomicLong bytesIn = new AtomicLong();
    private final AsciicastRecorder recorder;
    /**
     * What {@link #awaitPending} waits on, and whether anyone does. A lock rather than a monitor: the
     * broker's pump is a virtual thread, which waiting on a monitor would pin to its carrier on Java 21.
     */
    private final java.util.concurrent.locks.ReentrantLock roomLock = new java.util.concurrent.locks.ReentrantLock();
    private final java.util.concurrent.locks.Condition room = roomLock.newCondition();
    private volatile boolean waitingForRoom;

    /** Frames waiting for the one being written: {@link Buffer} (binary), {@link String} (text) or {@link CloseReason}. */
    private final ArrayDeque<Object> queued = new ArrayDeque<>();
    /** Whether a frame is being written; guarded by {@link #queued}, as is the queue. */
    private boolean writing;
    /** Whether the close has been queued or sent: nothing is queued after it. Guarded by {@link #queued}. */
    private boolean closing;

    SocketViewer(WebSocketConnection connection, String name, long limit, AsciicastRecorder recorder) {
        this.connection = connection;
        this.name = name;
        this.limit = limit;
        this.recorder = recorder;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean output(byte[] data) {
        if (connection.isClosed()) {
            return true;
        }
        if (pending.get() > 2 * limit) {
            return false;   // the broker waits for room before it sends, so this means the viewer is stuck
        }
        send(data);
        if (recorder != null) {
            recorder.output(data);
        }
        return true;
    }

    /** Sends, counting the bytes in flight; the caller decides what to do when too many are. */
    void send(byte[] data) {
        if (data.length == 0) {
            return;
        }
        pending.addAndGet(data.length);
        bytesOut.addAndGet(data.length);
        Object first;
        synchronized (queued) {
            if (closing) {
                return;
            }
            for (int at = 0; at < data.length; ) {
                Buffer last = queued.peekLast() instanceof Buffer buffer && buffer.length() < MAX_FRAME ? buffer : null;
                if (last == null) {
                    last = Buffer.buffer(Math.min(MAX_FRAME, data.length - at));
                    queued.addLast(last);
                }
                int take = Math.min(data.length - at, MAX_FRAME - last.length());
                last.appendBytes(data, at, take);
                at += take;
            }
            first = next();
        }
        write(first);
    }

    /** Bytes sent but not yet written to the socket. */
    @Override
    public long pending() {
        return pending.get();
    }

    /** Woken by {@link #written} when a frame leaves while someone waits for room. */
    @Override
    public boolean awaitPending(long atMost, long timeoutNanos) throws InterruptedException {
        long left = timeoutNanos;
        roomLock.lock();
        try {
            // Raised before looking at the count: a frame that leaves after the look sees it and wakes us.
            waitingForRoom = true;
            while (pending.get() > atMost && !connection.isClosed()) {
                if (left <= 0) {
                    return false;
                }
                left = room.awaitNanos(left);
            }
            return true;
        } finally {
            waitingForRoom = false;
            roomLock.unlock();
        }
    }

    @Override
    public void control(String json) {
        if (connection.isClosed()) {
            return;
        }
        Object first;
        synchronized (queued) {
            if (closing) {
                return;
            }
            queued.addLast(json);
            first = next();
        }
        write(first);
    }

    /**
     * Closes after the output queued before; a viewer dropped as too slow is closed at once, its
     * queued output discarded.
     */
    @Override
    public void close(int code, String reason) {
        CloseReason closeReason = new CloseReason(code, reason);
        Object first;
        synchronized (queued) {
            if (closing || connection.isClosed()) {
                return;
            }
            closing = true;
            if (code == CloseCodes.TOO_SLOW) {
                for (Object frame : queued) {
                    if (frame instanceof Buffer binary) {
                        pending.addAndGet(-binary.length());
                    }
                }
                queued.clear();
                first = null;
            } else {
                queued.addLast(closeReason);
                first = next();
            }
        }
        if (code == CloseCodes.TOO_SLOW) {
            connection.close(closeReason).subscribe().with(done -> { }, failure -> { });
        } else {
            write(first);
        }
    }

    /** The frame to write now, or null when one is being written or none waits. Holds the lock. */
    private Object next() {
        if (writing) {
            return null;
        }
        Object first = queued.pollFirst();
        writing = first != null;
        return first;
    }

    private void write(Object frame) {
        switch (frame) {
            case null -> { }
            case Buffer binary -> {
                int length = binary.length();
                connection.sendBinary(binary).subscribe().with(done -> written(length), failure -> written(length));
            }
            case String text -> connection.sendText(text).subscribe().with(done -> written(0), failure -> written(0));
            case CloseReason reason -> connection.close(reason).subscribe().with(done -> written(0), failure -> written(0));
            default -> throw new IllegalStateException("unknown frame " + frame);
        }
    }

    /** A frame has been written (or failed): the next waiting one leaves, with all output queued behind it. */
    private void written(int length) {
        if (length > 0) {
            pending.addAndGet(-length);
            if (waitingForRoom) {
                roomLock.lock();
                try {
                    room.signalAll();
                } finally {
                    roomLock.unlock();
                }
            }
        }
        Object following;
        synchronized (queued) {
            writing = false;
            following = next();
        }
        write(following);
    }
}

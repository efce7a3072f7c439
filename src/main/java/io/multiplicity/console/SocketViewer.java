package io.multiplicity.console;

import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.WebSocketConnection;
import io.vertx.core.buffer.Buffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A browser's WebSocket as a console viewer. Output is sent without blocking; the bytes not yet
 * written to the socket are counted, and a viewer whose count passes its limit is reported too
 * slow instead of being buffered further.
 */
final class SocketViewer implements Viewer {

    private final WebSocketConnection connection;
    private final String name;
    private final long limit;
    private final AtomicLong pending = new AtomicLong();
    final AtomicLong bytesOut = new AtomicLong();
    final AtomicLong bytesIn = new AtomicLong();
    private final AsciicastRecorder recorder;

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
        int length = data.length;
        pending.addAndGet(length);
        bytesOut.addAndGet(length);
        connection.sendBinary(Buffer.buffer(data)).subscribe().with(
                done -> pending.addAndGet(-length),
                failure -> pending.addAndGet(-length));
    }

    /** Bytes sent but not yet written to the socket. */
    @Override
    public long pending() {
        return pending.get();
    }

    @Override
    public void control(String json) {
        if (!connection.isClosed()) {
            connection.sendText(json).subscribe().with(done -> { }, failure -> { });
        }
    }

    @Override
    public void close(int code, String reason) {
        if (!connection.isClosed()) {
            connection.close(new CloseReason(code, reason)).subscribe().with(done -> { }, failure -> { });
        }
    }
}

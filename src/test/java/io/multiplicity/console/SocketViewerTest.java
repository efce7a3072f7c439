package io.multiplicity.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.WebSocketConnection;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The browser viewer's frames: one in flight, what waits joins the next frame, order kept. */
class SocketViewerTest {

    /** A WebSocket connection whose writes finish when the test says. */
    private static final class FakeConnection {
        final List<Object> frames = new ArrayList<>();
        final List<CompletableFuture<Void>> writes = new ArrayList<>();
        boolean closed;

        WebSocketConnection proxy() {
            return (WebSocketConnection) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {WebSocketConnection.class}, (proxy, method, arguments) -> switch (method.getName()) {
                        case "isClosed" -> closed;
                        case "sendBinary" -> write(((Buffer) arguments[0]).getBytes());
                        case "sendText" -> write(arguments[0]);
                        case "close" -> {
                            closed = true;
                            yield write(arguments[0]);
                        }
                        case "id" -> "test";
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == arguments[0];
                        default -> throw new UnsupportedOperationException(method.getName());
                    });
        }

        private Uni<Void> write(Object frame) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            synchronized (this) {
                frames.add(frame);
                writes.add(done);
            }
            return Uni.createFrom().completionStage(done);
        }

        /** Finishes the oldest unfinished write. */
        void finishOne() {
            CompletableFuture<Void> next;
            synchronized (this) {
                next = writes.stream().filter(write -> !write.isDone()).findFirst().orElseThrow();
            }
            next.complete(null);
        }

        synchronized int unfinished() {
            return (int) writes.stream().filter(write -> !write.isDone()).count();
        }
    }

    private static byte[] bytes(int length, char fill) {
        byte[] data = new byte[length];
        Arrays.fill(data, (byte) fill);
        return data;
    }

    @Test
    void outputThatArrivesWhileAFrameIsWrittenLeavesAsOneFrame() {
        FakeConnection connection = new FakeConnection();
        SocketViewer viewer = new SocketViewer(connection.proxy(), "bob", 1 << 20, null);

        viewer.output("a".getBytes());
        assertThat(connection.frames).hasSize(1);     // the first leaves at once: an echo is not held back
        viewer.output("b".getBytes());
        viewer.output("c".getBytes());
        assertThat(connection.frames).hasSize(1);
        assertThat(viewer.pending()).isEqualTo(3);

        connection.finishOne();
        assertThat(connection.frames).hasSize(2);
        assertThat((byte[]) connection.frames.get(1)).isEqualTo("bc".getBytes());
        connection.finishOne();
        assertThat(viewer.pending()).isZero();
        assertThat(viewer.bytesOut.get()).isEqualTo(3);
        assertThat(connection.unfinished()).isZero();
    }

    @Test
    void framesAreAtMostTheMaximumFrameSize() {
        FakeConnection connection = new FakeConnection();
        SocketViewer viewer = new SocketViewer(connection.proxy(), "bob", 1 << 20, null);

        viewer.output(bytes(10, 'x'));
        viewer.output(bytes(SocketViewer.MAX_FRAME * 2 + 5, 'y'));
        while (connection.unfinished() > 0) {
            connection.finishOne();
        }
        List<Integer> sizes = connection.frames.stream().map(frame -> ((byte[]) frame).length).toList();
        assertThat(sizes).containsExactly(10, SocketViewer.MAX_FRAME, SocketViewer.MAX_FRAME, 5);
        assertThat(viewer.pending()).isZero();
    }

    @Test
    void controlMessagesAndTheCloseKeepTheirPlaceAfterTheOutput() {
        FakeConnection connection = new FakeConnection();
        SocketViewer viewer = new SocketViewer(connection.proxy(), "bob", 1 << 20, null);

        viewer.output("one".getBytes());
        viewer.output("two".getBytes());
        viewer.control("{\"type\":\"writer\"}");
        viewer.output("three".getBytes());
        viewer.close(CloseCodes.UNAVAILABLE, "the instance's console ended");
        viewer.output("after".getBytes());
        while (connection.unfinished() > 0) {
            connection.finishOne();
        }
        assertThat(connection.frames).hasSize(5);
        assertThat((byte[]) connection.frames.get(0)).isEqualTo("one".getBytes());
        assertThat((byte[]) connection.frames.get(1)).isEqualTo("two".getBytes());
        assertThat(connection.frames.get(2)).isEqualTo("{\"type\":\"writer\"}");
        assertThat((byte[]) connection.frames.get(3)).isEqualTo("three".getBytes());
        assertThat(((CloseReason) connection.frames.get(4)).getCode()).isEqualTo(CloseCodes.UNAVAILABLE);
    }

    @Test
    void aViewerDroppedAsTooSlowIsClosedAtOnceAndItsQueueDiscarded() {
        FakeConnection connection = new FakeConnection();
        SocketViewer viewer = new SocketViewer(connection.proxy(), "bob", 1000, null);

        viewer.output(bytes(600, 'x'));
        viewer.output(bytes(600, 'x'));
        viewer.output(bytes(900, 'x'));
        assertThat(viewer.pending()).isEqualTo(2100);
        assertThat(viewer.output(bytes(1, 'x'))).as("more than twice its limit behind: stuck").isFalse();

        viewer.close(CloseCodes.TOO_SLOW, "too slow");
        assertThat(connection.closed).isTrue();
        assertThat(connection.frames).hasSize(2);      // the frame in flight, then the close: nothing queued left
        assertThat(connection.frames.get(1)).isInstanceOf(CloseReason.class);
        assertThat(viewer.pending()).isEqualTo(600);   // only the frame still in flight
        connection.finishOne();
        assertThat(viewer.pending()).isZero();
    }

    @Test
    void aWaitForRoomEndsWhenAFrameLeavesNotAtItsTimeout() throws Exception {
        FakeConnection connection = new FakeConnection();
        SocketViewer viewer = new SocketViewer(connection.proxy(), "bob", 1 << 20, null);
        viewer.output(bytes(500, 'x'));
        viewer.output(bytes(700, 'x'));                 // waits behind the first frame: 1200 pending

        assertThat(viewer.awaitPending(1000, 20_000_000L)).as("nothing left: the wait times out").isFalse();

        CompletableFuture<Boolean> waited = CompletableFuture.supplyAsync(() -> {
            try {
                return viewer.awaitPending(1000, 30_000_000_000L);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(100);
        assertThat(waited).isNotDone();
        long finishedAt = System.nanoTime();
        connection.finishOne();                          // 500 leave: 700 pending
        assertThat(waited.get(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat((System.nanoTime() - finishedAt) / 1_000_000).as("woken by the write, in ms").isLessThan(1000);
        assertThat(viewer.pending()).isEqualTo(700);
    }
}

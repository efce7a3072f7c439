package io.multiplicity.support;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A WebSocket console client, as a browser would be: bytes in and out, control frames, close code. */
public final class ConsoleClient implements AutoCloseable {

    private final StringBuffer output = new StringBuffer();
    private final List<String> controls = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private volatile String closeReason = "";
    private WebSocket socket;

    public static ConsoleClient connect(String baseUrl, String path) throws Exception {
        ConsoleClient client = new ConsoleClient();
        String ws = baseUrl.replaceFirst("^http", "ws").replaceAll("/$", "") + path;
        client.socket = HttpClient.newHttpClient().newWebSocketBuilder()
                .connectTimeout(Duration.ofSeconds(10))
                .buildAsync(URI.create(ws), client.listener())
                .get(15, TimeUnit.SECONDS);
        return client;
    }

    private WebSocket.Listener listener() {
        return new WebSocket.Listener() {
            @Override
            public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
                byte[] bytes = new byte[data.remaining()];
                data.get(bytes);
                output.append(new String(bytes, StandardCharsets.UTF_8));
                webSocket.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                controls.add(data.toString());
                webSocket.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                closeReason = reason;
                closed.complete(statusCode);
                return null;
            }

            @Override
            public void onError(WebSocket webSocket, Throwable error) {
                closed.complete(-1);
            }
        };
    }

    public void type(String text) {
        socket.sendBinary(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), true).join();
    }

    /** Sends raw bytes, as a VNC viewer does. */
    public void send(byte[] bytes) {
        socket.sendBinary(ByteBuffer.wrap(bytes), true).join();
    }

    public void control(String json) {
        socket.sendText(json, true).join();
    }

    public String output() {
        return output.toString();
    }

    public List<String> controls() {
        return List.copyOf(controls);
    }

    /** Waits until the output contains {@code text}; returns whether it did. */
    public boolean awaitOutput(String text, Duration timeout) {
        return await(() -> output.indexOf(text) >= 0, timeout);
    }

    /** Waits until the output contains {@code text} at least {@code times} times; returns whether it did. */
    public boolean awaitOccurrences(String text, int times, Duration timeout) {
        return await(() -> {
            String seen = output.toString();
            int count = 0;
            for (int at = seen.indexOf(text); at >= 0; at = seen.indexOf(text, at + text.length())) {
                count++;
            }
            return count >= times;
        }, timeout);
    }

    public boolean awaitControl(Predicate<String> matching, Duration timeout) {
        return await(() -> controls.stream().anyMatch(matching), timeout);
    }

    /** The close code the server sent, waiting up to {@code timeout}; -1 on error, 0 if still open. */
    public int closeCode(Duration timeout) {
        try {
            return closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            return 0;
        }
    }

    public String closeReason() {
        return closeReason;
    }

    private static boolean await(java.util.function.BooleanSupplier condition, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (condition.getAsBoolean()) {
                return true;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return condition.getAsBoolean();
    }

    @Override
    public void close() {
        if (socket != null && !socket.isOutputClosed()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "done");
        }
    }
}

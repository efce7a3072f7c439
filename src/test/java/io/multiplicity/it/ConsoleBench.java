package io.multiplicity.it;

import static io.restassured.RestAssured.given;

import io.multiplicity.support.PostgresTestResource;
import io.multiplicity.support.TestKeycloak;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Console benchmarks on the packaged application, a real jail and a real WebSocket client:
 * {@code rtt} (keystroke to echo through the gateway beside the same on the console keeper's socket)
 * and {@code throughput} (MB/s from the console to a WebSocket client).
 */
public final class ConsoleBench {

    private static final int KEYSTROKES = 1000;

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "rtt";
        var postgres = PostgresTestResource.server();
        String jdbc = "jdbc:postgresql://localhost:" + postgres.getPort() + "/postgres";
        // A short name: the jails' console sockets live under it, and unix socket paths are short.
        Path work = Files.createDirectories(TestKeycloak.projectRoot()
                .resolve("target/bc-" + Long.toString(System.currentTimeMillis() / 1000, 36)));
        PackagedApplication app = new PackagedApplication(jdbc, work.resolve("app.log"), Map.of()).start();
        String instance = null;
        String token = TestKeycloak.token("bob");
        try {
            Response accepted = given().auth().oauth2(token).contentType(ContentType.JSON)
                    .body(Map.of("name", "bench-" + UUID.randomUUID().toString().substring(0, 4), "kind", "jail",
                            "image", "busybox", "type", "j1.nano", "start", true))
                    .post(app.url() + "/api/v1/instances");
            if (accepted.statusCode() != 202) {
                throw new IllegalStateException("cannot create the jail: " + accepted.asString());
            }
            instance = accepted.path("target");
            awaitRunning(app, token, accepted.path("id"));
            if (mode.equals("throughput")) {
                throughput(app, token, instance);
            } else {
                rtt(app, token, instance, work.resolve("data"));
            }
        } finally {
            if (instance != null) {
                given().auth().oauth2(token).delete(app.url() + "/api/v1/instances/" + instance);
                Thread.sleep(3000);
            }
            app.close();
            PackagedApplication.removeHostTraces();
            postgres.close();
        }
    }

    private static void rtt(PackagedApplication app, String token, String instance, Path dataDir) throws Exception {
        Path socket = dataDir.resolve("run").resolve(instance + ".console");
        long[] direct;
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            drain(channel, Duration.ofMillis(500));
            direct = new long[KEYSTROKES];
            ByteBuffer in = ByteBuffer.allocate(65536);
            for (int i = 0; i < KEYSTROKES; i++) {
                if (i % 100 == 99) {
                    channel.write(ByteBuffer.wrap(new byte[] {0x15}));
                    drain(channel, Duration.ofMillis(50));
                }
                long start = System.nanoTime();
                channel.write(ByteBuffer.wrap(new byte[] {'a'}));
                boolean seen = false;
                while (!seen) {
                    in.clear();
                    int read = channel.read(in);
                    if (read < 0) {
                        throw new IOException("console closed");
                    }
                    for (int j = 0; j < read; j++) {
                        seen |= in.get(j) == 'a';
                    }
                }
                direct[i] = System.nanoTime() - start;
            }
            channel.write(ByteBuffer.wrap(new byte[] {0x15}));
        }

        Client client = Client.open(app, token, instance);
        client.awaitControl("writer", Duration.ofSeconds(10));
        Thread.sleep(500);
        client.chunks.clear();
        long[] gateway = new long[KEYSTROKES];
        for (int i = 0; i < KEYSTROKES; i++) {
            if (i % 100 == 99) {
                client.send(new byte[] {0x15});
                Thread.sleep(50);
                client.chunks.clear();
            }
            long start = System.nanoTime();
            client.send(new byte[] {'a'});
            boolean seen = false;
            while (!seen) {
                byte[] chunk = client.chunks.poll(10, TimeUnit.SECONDS);
                if (chunk == null) {
                    throw new IOException("no echo through the gateway");
                }
                for (byte b : chunk) {
                    seen |= b == 'a';
                }
            }
            gateway[i] = System.nanoTime() - start;
        }
        client.close();

        double directP50 = percentile(direct, 50);
        double directP99 = percentile(direct, 99);
        double gatewayP50 = percentile(gateway, 50);
        double gatewayP99 = percentile(gateway, 99);
        System.out.println();
        System.out.printf(Locale.ROOT, "%-34s %10s %10s%n", "keystroke to echo (" + KEYSTROKES + " keys)", "p50 ms", "p99 ms");
        System.out.printf(Locale.ROOT, "%-34s %10.3f %10.3f%n", "console keeper socket (direct)", directP50, directP99);
        System.out.printf(Locale.ROOT, "%-34s %10.3f %10.3f%n", "WebSocket through the gateway", gatewayP50, gatewayP99);
        System.out.printf(Locale.ROOT, "%-34s %10.3f %10.3f%n", "added by the gateway", gatewayP50 - directP50,
                gatewayP99 - directP99);
        System.out.printf(Locale.ROOT,
                "{\"bench\":\"console-rtt\",\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"peer\":\"console-socket\",\"peer_p50_ms\":%.3f,"
                        + "\"peer_p99_ms\":%.3f,\"ratio\":%.2f,\"added_p50_ms\":%.3f,\"target_added_p50_ms\":1.0}%n",
                gatewayP50, gatewayP99, directP50, directP99, gatewayP50 / directP50, gatewayP50 - directP50);
    }

    private static void throughput(PackagedApplication app, String token, String instance) throws Exception {
        Client client = Client.open(app, token, instance);
        client.awaitControl("writer", Duration.ofSeconds(10));
        Thread.sleep(500);
        long megabytes = 200;
        client.bytes.set(0);
        client.first.set(0);
        client.marker = "END-" + "OF-BENCH";
        client.send(("yes xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx | head -c " + megabytes * 1_000_000
                + " ; echo END-OF-''BENCH\n").getBytes(StandardCharsets.UTF_8));
        Instant deadline = Instant.now().plus(Duration.ofMinutes(3));
        while (!client.markerSeen && Instant.now().isBefore(deadline) && client.closeCode == 0) {
            Thread.sleep(10);
        }
        long bytes = client.bytes.get();
        double seconds = (client.last.get() - client.first.get()) / 1e9;
        double rate = bytes / 1e6 / seconds;
        client.close();
        System.out.println();
        System.out.printf(Locale.ROOT, "%-38s %12s %10s %10s%n", "console → WebSocket client", "bytes", "seconds", "MB/s");
        System.out.printf(Locale.ROOT, "%-38s %12d %10.2f %10.1f%n", "busybox jail, yes | head -c " + megabytes + "MB",
                bytes, seconds, rate);
        if (!client.markerSeen) {
            System.out.println("the run did not finish: close code " + client.closeCode + " " + client.closeReason);
        }
        System.out.printf(Locale.ROOT,
                "{\"bench\":\"console-throughput\",\"mb_per_s\":%.1f,\"bytes\":%d,\"seconds\":%.2f,\"complete\":%s,"
                        + "\"target_mb_per_s\":50}%n",
                rate, bytes, seconds, client.markerSeen);
    }

    private static final class Client implements WebSocket.Listener {
        final BlockingQueue<byte[]> chunks = new LinkedBlockingQueue<>();
        final List<String> controls = new ArrayList<>();
        final AtomicLong bytes = new AtomicLong();
        final AtomicLong first = new AtomicLong();
        final AtomicLong last = new AtomicLong();
        volatile String marker;
        volatile boolean markerSeen;
        volatile int closeCode;
        volatile String closeReason;
        private final StringBuilder tail = new StringBuilder();
        WebSocket socket;

        static Client open(PackagedApplication app, String token, String instance) throws Exception {
            String url = given().auth().oauth2(token).contentType(ContentType.JSON).body(Map.of("type", "serial"))
                    .post(app.url() + "/api/v1/instances/" + instance + "/console").then().statusCode(201).extract()
                    .path("url");
            Client client = new Client();
            client.socket = HttpClient.newHttpClient().newWebSocketBuilder()
                    .buildAsync(URI.create(app.url().replace("http", "ws") + url), client).get(10, TimeUnit.SECONDS);
            return client;
        }

        void send(byte[] data) {
            socket.sendBinary(ByteBuffer.wrap(data), true).join();
        }

        void awaitControl(String text, Duration timeout) throws InterruptedException {
            Instant deadline = Instant.now().plus(timeout);
            while (Instant.now().isBefore(deadline)) {
                synchronized (controls) {
                    if (controls.stream().anyMatch(c -> c.contains(text))) {
                        return;
                    }
                }
                Thread.sleep(10);
            }
            throw new IllegalStateException("no control frame with " + text + ": " + controls);
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean lastFragment) {
            byte[] chunk = new byte[data.remaining()];
            data.get(chunk);
            long now = System.nanoTime();
            first.compareAndSet(0, now);
            last.set(now);
            bytes.addAndGet(chunk.length);
            chunks.add(chunk);
            if (chunks.size() > 10_000) {
                chunks.clear();
            }
            if (marker != null) {
                tail.append(new String(chunk, StandardCharsets.ISO_8859_1));
                if (tail.indexOf(marker) >= 0) {
                    markerSeen = true;
                }
                if (tail.length() > 256) {
                    tail.delete(0, tail.length() - 64);
                }
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean lastFragment) {
            synchronized (controls) {
                controls.add(data.toString());
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closeCode = statusCode;
            closeReason = reason;
            return null;
        }

        void close() {
            try {
                if (!socket.isOutputClosed()) {
                    socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
                }
            } catch (RuntimeException e) {
                // the server closed first
            }
        }
    }

    private static void awaitRunning(PackagedApplication app, String token, String operation) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(120));
        while (Instant.now().isBefore(deadline)) {
            String state = given().auth().oauth2(token).get(app.url() + "/api/v1/operations/" + operation).path("state");
            if ("succeeded".equals(state)) {
                return;
            }
            if ("failed".equals(state) || "cancelled".equals(state)) {
                throw new IllegalStateException("the jail did not start: " + given().auth().oauth2(token)
                        .get(app.url() + "/api/v1/operations/" + operation).asString());
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the jail did not start in time");
    }

    private static void drain(SocketChannel channel, Duration quiet) throws IOException, InterruptedException {
        channel.configureBlocking(false);
        ByteBuffer buffer = ByteBuffer.allocate(65536);
        long until = System.nanoTime() + quiet.toNanos();
        while (System.nanoTime() < until) {
            buffer.clear();
            if (channel.read(buffer) > 0) {
                until = System.nanoTime() + quiet.toNanos();
            } else {
                Thread.sleep(5);
            }
        }
        channel.configureBlocking(true);
    }

    private static double percentile(long[] nanos, int percentile) {
        long[] sorted = Arrays.copyOf(nanos, nanos.length);
        Arrays.sort(sorted);
        int index = (int) Math.ceil(percentile / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, index)] / 1e6;
    }
}

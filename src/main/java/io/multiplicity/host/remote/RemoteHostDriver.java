package io.multiplicity.host.remote;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.multiplicity.host.contract.AgentProtocol;
import io.multiplicity.host.contract.AgentProtocol.Call;
import io.multiplicity.host.contract.AgentProtocol.ConsoleKind;
import io.multiplicity.host.contract.AgentProtocol.Failure;
import io.multiplicity.host.contract.AgentProtocol.ImportSource;
import io.multiplicity.host.contract.ConsoleStream;
import io.multiplicity.host.contract.HostDriver;
import io.multiplicity.host.contract.HostFacts;
import io.multiplicity.host.contract.ImageRefused;
import io.multiplicity.host.contract.ImageStore;
import io.multiplicity.host.contract.InstanceSpec;
import io.multiplicity.host.contract.InstanceStatus;
import io.multiplicity.host.contract.InstanceUsage;
import io.multiplicity.host.contract.PublicAccess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;

/**
 * The {@link HostDriver} of a host whose agent runs as a process of its own, over the wire
 * ({@link AgentProtocol}): each call a {@code POST} over mutual TLS, each console a WebSocket. A
 * refusal comes back as the exception the agent raised (IllegalArgumentException,
 * IllegalStateException, UnsupportedOperationException, ImageRefused), so callers cannot tell it
 * from the in-process agent; an agent that cannot be reached raises {@link AgentUnreachable}.
 */
public final class RemoteHostDriver implements HostDriver {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Calls that wait for an instance to stop or for storage work get this much more than their own timeout. */
    private static final Duration CALL_TIMEOUT = Duration.ofMinutes(5);

    private final URI base;
    private final HttpClient client;

    /** The agent at {@code base} could not be reached or did not answer. */
    public static final class AgentUnreachable extends RuntimeException {
        AgentUnreachable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    public RemoteHostDriver(URI base, SSLContext tls) {
        this.base = base;
        this.client = HttpClient.newBuilder()
                .sslContext(tls)
                .connectTimeout(Duration.ofSeconds(5))
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    /** Where the agent is reached. */
    public URI base() {
        return base;
    }

    @Override
    public HostFacts facts() {
        return call(Call.FACTS, null, HostFacts.class, Duration.ofSeconds(10));
    }

    @Override
    public void enroll(UUID hostId) {
        call(Call.ENROLL, new AgentProtocol.Enroll(hostId), Void.class, CALL_TIMEOUT);
    }

    @Override
    public InstanceStatus provision(InstanceSpec spec) {
        return call(Call.PROVISION, spec, InstanceStatus.class, CALL_TIMEOUT);
    }

    @Override
    public InstanceStatus start(InstanceSpec spec) {
        return call(Call.START, spec, InstanceStatus.class, CALL_TIMEOUT);
    }

    @Override
    public InstanceStatus stop(UUID instanceId, Duration timeout) {
        return call(Call.STOP, new AgentProtocol.Stop(instanceId, timeout.toMillis()), InstanceStatus.class,
                CALL_TIMEOUT.plus(timeout));
    }

    @Override
    public void destroy(UUID instanceId) {
        call(Call.DESTROY, new AgentProtocol.InstanceRef(instanceId), Void.class, CALL_TIMEOUT);
    }

    @Override
    public InstanceStatus status(UUID instanceId) {
        return call(Call.STATUS, new AgentProtocol.InstanceRef(instanceId), InstanceStatus.class, Duration.ofSeconds(30));
    }

    @Override
    public List<InstanceStatus> list() {
        return call(Call.LIST, null, AgentProtocol.Statuses.class, Duration.ofSeconds(60)).items();
    }

    @Override
    public InstanceStatus restart(InstanceSpec spec, Duration timeout) {
        return call(Call.RESTART, new AgentProtocol.Restart(spec, timeout.toMillis()), InstanceStatus.class,
                CALL_TIMEOUT.plus(timeout));
    }

    @Override
    public void snapshot(UUID instanceId, String name) {
        call(Call.SNAPSHOT, new AgentProtocol.Snapshot(instanceId, name), Void.class, CALL_TIMEOUT);
    }

    @Override
    public InstanceStatus rollback(InstanceSpec spec, String name) {
        return call(Call.ROLLBACK, new AgentProtocol.Rollback(spec, name), InstanceStatus.class, CALL_TIMEOUT);
    }

    @Override
    public void deleteSnapshot(UUID instanceId, String name) {
        call(Call.DELETE_SNAPSHOT, new AgentProtocol.Snapshot(instanceId, name), Void.class, CALL_TIMEOUT);
    }

    @Override
    public InstanceStatus resize(InstanceSpec spec) {
        return call(Call.RESIZE, spec, InstanceStatus.class, CALL_TIMEOUT);
    }

    @Override
    public InstanceUsage usage(UUID instanceId) {
        return call(Call.USAGE, new AgentProtocol.InstanceRef(instanceId), InstanceUsage.class, Duration.ofSeconds(30));
    }

    @Override
    public java.util.Map<UUID, InstanceUsage> usageOf(List<UUID> instanceIds) {
        if (instanceIds.isEmpty()) {
            return java.util.Map.of();
        }
        try {
            return call(Call.USAGE_OF, new AgentProtocol.InstanceRefs(instanceIds), AgentProtocol.Usages.class,
                    Duration.ofSeconds(120)).readings();
        } catch (NoSuchCall e) {
            // an agent older than this control plane reads one instance per call
            return HostDriver.super.usageOf(instanceIds);
        }
    }

    /** The agent does not know the call: it is older than this control plane. */
    private static final class NoSuchCall extends UnsupportedOperationException {
        NoSuchCall(String message) {
            super(message);
        }
    }

    @Override
    public void networkEgress(int tenantNetwork, boolean egress) {
        call(Call.NETWORK_EGRESS, new AgentProtocol.Egress(tenantNetwork, egress), Void.class, CALL_TIMEOUT);
    }

    @Override
    public void publish(PublicAccess access) {
        call(Call.PUBLISH, access, Void.class, CALL_TIMEOUT);
    }

    @Override
    public ConsoleStream openConsole(UUID instanceId) throws IOException {
        return RemoteConsole.open(client, consoleUri(ConsoleKind.SERIAL, instanceId));
    }

    @Override
    public ConsoleStream openGraphics(UUID instanceId) throws IOException {
        return RemoteConsole.open(client, consoleUri(ConsoleKind.GRAPHICS, instanceId));
    }

    @Override
    public java.io.InputStream sendInstance(UUID instanceId) throws IOException {
        return openStream(base.resolve(AgentProtocol.SEND_PATH + instanceId));
    }

    /** The body of a {@code GET} that answers a stream; a refusal is raised as the agent's exception. */
    private java.io.InputStream openStream(URI uri) throws IOException {
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(CALL_TIMEOUT)
                .GET()
                .build();
        HttpResponse<java.io.InputStream> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new AgentUnreachable("the agent at " + base + " cannot be reached: " + describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentUnreachable("interrupted while calling the agent at " + base, e);
        }
        if (response.statusCode() != 200) {
            byte[] body;
            try (java.io.InputStream in = response.body()) {
                body = in.readAllBytes();
            }
            answer(response.statusCode(), body, Void.class);
            throw new IllegalStateException("the agent at " + base + " answered " + response.statusCode());
        }
        return response.body();
    }

    @Override
    public io.multiplicity.host.contract.ReceivedInstance receiveInstance(io.multiplicity.host.contract.InstanceSpec spec,
                                                                          java.io.InputStream stream) throws IOException {
        HttpRequest request = HttpRequest.newBuilder(base.resolve(AgentProtocol.RECEIVE_PATH))
                .timeout(Duration.ofHours(6))
                .header(AgentProtocol.RECEIVE_HEADER,
                        Base64.getUrlEncoder().withoutPadding().encodeToString(JSON.writeValueAsBytes(spec)))
                .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> stream))
                .build();
        return answer(send(request), io.multiplicity.host.contract.ReceivedInstance.class);
    }

    @Override
    public ImageStore images() {
        return new RemoteImageStore();
    }

    private URI consoleUri(ConsoleKind kind, UUID instanceId) {
        return URI.create("wss://" + base.getRawAuthority() + AgentProtocol.CONSOLE_PATH + kind.name() + "/" + instanceId);
    }

    private <T> T call(Call call, Object arguments, Class<T> answer, Duration timeout) {
        try {
            HttpRequest request = HttpRequest.newBuilder(base.resolve(AgentProtocol.CALL_PATH + call.name()))
                    .timeout(timeout)
                    .header("Content-Type", "application/json")
                    .POST(arguments == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(arguments)))
                    .build();
            return answer(send(request), answer);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private HttpResponse<byte[]> send(HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new AgentUnreachable("the agent at " + base + " cannot be reached: " + describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentUnreachable("interrupted while calling the agent at " + base, e);
        }
    }

    private <T> T answer(HttpResponse<byte[]> response, Class<T> type) throws IOException {
        return answer(response.statusCode(), response.body(), type);
    }

    private <T> T answer(int status, byte[] body, Class<T> type) throws IOException {
        if (status == 204 || type == Void.class && status == 200) {
            return null;
        }
        if (status == 200) {
            return JSON.readValue(body, type);
        }
        Failure failure;
        try {
            failure = JSON.readValue(body, Failure.class);
        } catch (IOException e) {
            throw new IllegalStateException("the agent at " + base + " answered " + status);
        }
        String message = failure.message();
        if (status == 404 && Failure.NOT_FOUND.equals(failure.error()) && message != null
                && message.startsWith("no such call")) {
            throw new NoSuchCall(message);
        }
        throw switch (failure.error() == null ? "" : failure.error()) {
            case Failure.IMAGE_REFUSED -> new ImageRefused(failure.code(), message);
            case Failure.INVALID -> new IllegalArgumentException(message);
            case Failure.CONFLICT -> new IllegalStateException(message);
            case Failure.UNSUPPORTED -> new UnsupportedOperationException(message);
            default -> new IllegalStateException("the agent at " + base + " failed: " + message);
        };
    }

    private static String describe(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    }

    /** The agent's image store, over the wire; an import sends the file as the request's body. */
    private final class RemoteImageStore implements ImageStore {

        @Override
        public Imported importRootfs(String key, int version, Path archive, Limits limits) {
            return upload(new AgentProtocol.ImageImport(ImportSource.ROOTFS, key, version, null, null, limits), archive);
        }

        @Override
        public Imported importDisk(String key, int version, Path disk, String format, VmBoot boot, Limits limits) {
            return upload(new AgentProtocol.ImageImport(ImportSource.DISK, key, version, format, boot, limits), disk);
        }

        @Override
        public Imported importKernel(String key, int version, Path archive, VmBoot boot, Limits limits) {
            return upload(new AgentProtocol.ImageImport(ImportSource.KERNEL, key, version, null, boot, limits), archive);
        }

        @Override
        public boolean has(String key, int version) {
            Boolean has = (Boolean) call(Call.IMAGE_HAS, new AgentProtocol.ImageVersion(key, version),
                    AgentProtocol.Value.class, Duration.ofSeconds(30)).value();
            return Boolean.TRUE.equals(has);
        }

        @Override
        public void destroyVersion(String key, int version) {
            call(Call.IMAGE_DESTROY_VERSION, new AgentProtocol.ImageVersion(key, version), Void.class, CALL_TIMEOUT);
        }

        @Override
        public String digest(String key, int version) {
            // A digest reads the whole version (zfs send): large images take longer than a call.
            return (String) call(Call.IMAGE_DIGEST, new AgentProtocol.ImageVersion(key, version),
                    AgentProtocol.Value.class, Duration.ofHours(1)).value();
        }

        @Override
        public List<BuiltIn> builtIns() {
            return call(Call.IMAGE_BUILT_INS, null, AgentProtocol.BuiltIns.class, Duration.ofSeconds(60)).items();
        }

        @Override
        public List<Integer> versions(String key) {
            return call(Call.IMAGE_VERSIONS, new AgentProtocol.ImageKey(key), AgentProtocol.Versions.class,
                    CALL_TIMEOUT).items();
        }

        @Override
        public String versionGuid(String key, int version) {
            return (String) call(Call.IMAGE_VERSION_GUID, new AgentProtocol.ImageVersion(key, version),
                    AgentProtocol.Value.class, CALL_TIMEOUT).value();
        }

        @Override
        public InputStream sendVersion(String key, int version, int baseVersion) throws IOException {
            return openStream(base.resolve(AgentProtocol.IMAGE_SEND_PATH
                    + java.net.URLEncoder.encode(key, java.nio.charset.StandardCharsets.UTF_8) + "/" + version
                    + (baseVersion == 0 ? "" : "?base=" + baseVersion)));
        }

        @Override
        public void receiveVersion(String key, int version, InputStream stream) throws IOException {
            HttpRequest request = HttpRequest.newBuilder(base.resolve(AgentProtocol.IMAGE_RECEIVE_PATH))
                    .timeout(Duration.ofHours(6))
                    .header(AgentProtocol.IMAGE_RECEIVE_HEADER, Base64.getUrlEncoder().withoutPadding()
                            .encodeToString(JSON.writeValueAsBytes(new AgentProtocol.ImageVersion(key, version))))
                    .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> stream))
                    .build();
            answer(send(request), Void.class);
        }

        private Imported upload(AgentProtocol.ImageImport arguments, Path file) {
            try {
                HttpRequest request = HttpRequest.newBuilder(base.resolve(AgentProtocol.IMPORT_PATH))
                        .timeout(Duration.ofHours(2))
                        .header(AgentProtocol.IMPORT_HEADER,
                                Base64.getUrlEncoder().withoutPadding().encodeToString(JSON.writeValueAsBytes(arguments)))
                        .PUT(HttpRequest.BodyPublishers.ofFile(file))
                        .build();
                return answer(send(request), Imported.class);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** A console stream carried by a WebSocket to the agent; output is read as it arrives, one message at a time. */
    private static final class RemoteConsole implements ConsoleStream, WebSocket.Listener {

        private static final byte[] END = new byte[0];

        private final BlockingQueue<byte[]> output = new LinkedBlockingQueue<>();
        private final BlockingQueue<AgentProtocol.Resized> resized = new LinkedBlockingQueue<>();
        private final StringBuilder text = new StringBuilder();
        private java.io.ByteArrayOutputStream partial = new java.io.ByteArrayOutputStream();
        private volatile WebSocket socket;
        private final InputStream in = new ConsoleInput();
        private final OutputStream out = new ConsoleOutput();

        static RemoteConsole open(HttpClient client, URI uri) throws IOException {
            RemoteConsole console = new RemoteConsole();
            try {
                console.socket = client.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
                        .buildAsync(uri, console).get(20, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                throw new IOException("cannot open the console at " + uri + ": " + describe(e), e.getCause());
            } catch (TimeoutException e) {
                throw new IOException("the console at " + uri + " did not open in time", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while opening the console at " + uri, e);
            }
            return console;
        }

        @Override
        public void onOpen(WebSocket webSocket) {
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            byte[] bytes = new byte[data.remaining()];
            data.get(bytes);
            partial.write(bytes, 0, bytes.length);
            if (last) {
                output.add(partial.toByteArray());
                partial = new java.io.ByteArrayOutputStream();
            } else {
                webSocket.request(1);
            }
            return null;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                try {
                    resized.add(JSON.readValue(text.toString(), AgentProtocol.Resized.class));
                } catch (IOException e) {
                    resized.add(new AgentProtocol.Resized(false));
                }
                text.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            output.add(END);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            output.add(END);
        }

        @Override
        public InputStream fromConsole() {
            return in;
        }

        @Override
        public OutputStream toConsole() {
            return out;
        }

        @Override
        public boolean resize(int columns, int rows) throws IOException {
            try {
                resized.clear();
                socket.sendText(JSON.writeValueAsString(new AgentProtocol.Resize(columns, rows)), true)
                        .get(10, TimeUnit.SECONDS);
                AgentProtocol.Resized answer = resized.poll(10, TimeUnit.SECONDS);
                return answer != null && answer.resized();
            } catch (ExecutionException | TimeoutException e) {
                throw new IOException("the console did not take the window size", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }

        @Override
        public void close() {
            WebSocket current = socket;
            if (current != null) {
                if (!current.isOutputClosed()) {
                    current.sendClose(WebSocket.NORMAL_CLOSURE, "closed").exceptionally(e -> null);
                }
                current.abort();
            }
            output.add(END);
        }

        private final class ConsoleInput extends InputStream {
            private byte[] current = new byte[0];
            private int position;
            private boolean ended;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws IOException {
                if (length == 0) {
                    return 0;
                }
                while (position >= current.length) {
                    if (ended) {
                        return -1;
                    }
                    try {
                        byte[] next = output.take();
                        if (next == END) {
                            ended = true;
                            output.add(END);
                            return -1;
                        }
                        current = next;
                        position = 0;
                        socket.request(1);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException("interrupted while reading the console");
                    }
                }
                int count = Math.min(length, current.length - position);
                System.arraycopy(current, position, buffer, offset, count);
                position += count;
                return count;
            }

            @Override
            public int available() {
                return current.length - position;
            }

            @Override
            public void close() {
                RemoteConsole.this.close();
            }
        }

        private final class ConsoleOutput extends OutputStream {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public synchronized void write(byte[] buffer, int offset, int length) throws IOException {
                try {
                    socket.sendBinary(ByteBuffer.wrap(buffer.clone(), offset, length), true).get(30, TimeUnit.SECONDS);
                } catch (ExecutionException | TimeoutException e) {
                    throw new IOException("the console went away", e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while writing to the console");
                }
            }
        }
    }
}

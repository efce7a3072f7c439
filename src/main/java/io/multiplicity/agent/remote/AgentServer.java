package io.multiplicity.agent.remote;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.multiplicity.host.contract.AgentProtocol;
import io.multiplicity.host.contract.AgentProtocol.Call;
import io.multiplicity.host.contract.AgentProtocol.ConsoleKind;
import io.multiplicity.host.contract.AgentProtocol.Failure;
import io.multiplicity.host.contract.AgentProtocol.ImageImport;
import io.multiplicity.host.contract.ConsoleStream;
import io.multiplicity.host.contract.HostDriver;
import io.multiplicity.host.contract.ImageRefused;
import io.multiplicity.host.contract.InstanceSpec;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLSession;

/**
 * Serves a host's {@link HostDriver} to the control plane over mutual TLS (see
 * {@link AgentProtocol}): only a client whose certificate the control plane's agent authority
 * signed for {@link AgentProtocol#CONTROL_PLANE_NAME} is served; no tenant ever reaches it, consoles
 * included (the control plane's gateway relays them). Calls run on virtual threads, since the
 * contract blocks.
 */
public final class AgentServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(AgentServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CONSOLE_CHUNK = 64 * 1024;

    private final HostDriver host;
    private final AgentCredentials credentials;
    private final Path scratch;
    private final Vertx vertx;
    /** Whether this server made its Vert.x instance (and closes it) or was given one it shares. */
    private final boolean ownsVertx;
    private final ExecutorService calls = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("agent-call-", 0).factory());
    private HttpServer server;

    /**
     * @param host        the host's agent
     * @param credentials the agent's key and certificates (it must be enrolled)
     * @param scratch     a directory for image files on their way into the store
     */
    public AgentServer(HostDriver host, AgentCredentials credentials, Path scratch) {
        this(host, credentials, scratch, null);
    }

    /**
     * As above, on a Vert.x instance shared with other servers of this process (null: one of its
     * own); a shared one is left open when this server closes.
     */
    public AgentServer(HostDriver host, AgentCredentials credentials, Path scratch, Vertx shared) {
        this.host = host;
        this.credentials = credentials;
        this.scratch = scratch;
        this.ownsVertx = shared == null;
        this.vertx = shared == null ? Vertx.vertx() : shared;
    }

    /** Listens on {@code address:port} (port 0: any free one); answers the port it listens on. */
    public int start(String address, int port) {
        HttpServerOptions options = new HttpServerOptions()
                .setHost(address)
                .setPort(port)
                .setSsl(true)
                .setKeyCertOptions(new PemKeyCertOptions()
                        .setKeyPath(credentials.key().toString())
                        .setCertPath(credentials.certificate().toString()))
                .setTrustOptions(new PemTrustOptions().addCertPath(credentials.authority().toString()))
                .setClientAuth(ClientAuth.REQUIRED)
                .setMaxWebSocketFrameSize(256 * 1024)
                .setMaxWebSocketMessageSize(1024 * 1024);
        server = vertx.createHttpServer(options)
                .webSocketHandler(this::console)
                .requestHandler(this::request);
        server.listen().toCompletionStage().toCompletableFuture().join();
        return server.actualPort();
    }

    private void request(HttpServerRequest request) {
        if (!fromControlPlane(request.sslSession())) {
            request.response().setStatusCode(403).end(failure(Failure.INVALID, "only the control plane is served", null));
            return;
        }
        String path = request.path();
        if (path.equals(AgentProtocol.IMPORT_PATH) && request.method().name().equals("PUT")) {
            importImage(request);
            return;
        }
        if (path.startsWith(AgentProtocol.SEND_PATH) && request.method().name().equals("GET")) {
            sendInstance(request, path.substring(AgentProtocol.SEND_PATH.length()));
            return;
        }
        if (path.equals(AgentProtocol.RECEIVE_PATH) && request.method().name().equals("PUT")) {
            receiveInstance(request);
            return;
        }
        if (path.startsWith(AgentProtocol.IMAGE_SEND_PATH) && request.method().name().equals("GET")) {
            sendImageVersion(request, path.substring(AgentProtocol.IMAGE_SEND_PATH.length()));
            return;
        }
        if (path.equals(AgentProtocol.IMAGE_RECEIVE_PATH) && request.method().name().equals("PUT")) {
            receiveImageVersion(request);
            return;
        }
        if (!path.startsWith(AgentProtocol.CALL_PATH) || !request.method().name().equals("POST")) {
            request.response().setStatusCode(404).end(failure(Failure.NOT_FOUND, "no such call: " + path, null));
            return;
        }
        Call call;
        try {
            call = Call.valueOf(path.substring(AgentProtocol.CALL_PATH.length()));
        } catch (IllegalArgumentException e) {
            request.response().setStatusCode(404).end(failure(Failure.NOT_FOUND, "no such call: " + path, null));
            return;
        }
        request.body().onSuccess(body -> calls.execute(() -> answer(request, () -> AgentCalls.run(host, call,
                body.length() == 0 ? JSON.nullNode() : JSON.readTree(body.getBytes())))));
    }

    private void importImage(HttpServerRequest request) {
        receiveSpooled(request, AgentProtocol.IMPORT_HEADER, ImageImport.class, "import",
                "bad import arguments", "the image did not arrive whole",
                (arguments, file) -> AgentCalls.importImage(host.images(), arguments, file));
    }

    /** What a spooled upload does with its arguments and its body's file. */
    private interface SpooledWork<T> {
        Object run(T arguments, Path file) throws Exception;
    }

    /**
     * An upload whose arguments travel as base64url JSON in {@code header} and whose body is spooled
     * to a scratch file before {@code work} runs on it (on a call thread); the file is removed after.
     * Bad arguments are answered 400, a body that did not arrive whole 500, and neither runs the work.
     */
    private <T> void receiveSpooled(HttpServerRequest request, String header, Class<T> type, String kind,
                                    String badArguments, String incomplete, SpooledWork<T> work) {
        T arguments;
        try {
            arguments = JSON.readValue(Base64.getUrlDecoder().decode(request.getHeader(header)), type);
        } catch (IOException | RuntimeException e) {
            request.response().setStatusCode(400).end(failure(Failure.INVALID, badArguments, null));
            return;
        }
        Path file;
        try {
            Files.createDirectories(scratch);
            file = scratch.resolve(kind + "-" + UUID.randomUUID());
        } catch (IOException e) {
            request.response().setStatusCode(500).end(failure(Failure.FAILED, e.getMessage(), null));
            return;
        }
        request.pause();
        vertx.fileSystem().open(file.toString(), new OpenOptions().setCreateNew(true).setWrite(true))
                .compose(target -> request.pipeTo(target))
                .onComplete(received -> calls.execute(() -> {
                    try {
                        if (received.failed()) {
                            request.response().setStatusCode(500).end(failure(Failure.FAILED, incomplete, null));
                            return;
                        }
                        answer(request, () -> work.run(arguments, file));
                    } finally {
                        try {
                            Files.deleteIfExists(file);
                        } catch (IOException e) {
                            LOG.warn("could not remove " + file, e);
                        }
                    }
                }));
    }

    /**
     * Streams a moving instance's dataset: the answer's body is the replication stream, written a
     * chunk at a time after the previous one left. A send that fails midway resets the connection.
     */
    private void sendInstance(HttpServerRequest request, String id) {
        UUID instanceId;
        try {
            instanceId = UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            request.response().setStatusCode(404).end(failure(Failure.NOT_FOUND, "no such instance: " + id, null));
            return;
        }
        streamOut(request, "instance " + instanceId, () -> host.sendInstance(instanceId));
    }

    /** What opens a stream the answer carries. */
    private interface StreamOpener {
        InputStream open() throws Exception;
    }

    /**
     * Answers with the stream {@code opener} opens, written a chunk at a time after the previous one
     * left; a stream that fails midway resets the connection, so the receiver never takes a part for
     * the whole. A stream that cannot be opened is answered as a refused call.
     */
    private void streamOut(HttpServerRequest request, String what, StreamOpener opener) {
        calls.execute(() -> {
            java.io.InputStream stream;
            try {
                stream = opener.open();
            } catch (Exception e) {
                answer(request, () -> {
                    throw e;
                });
                return;
            }
            HttpServerResponse response = request.response();
            try (stream) {
                response.setStatusCode(200).setChunked(true).putHeader("Content-Type", "application/octet-stream");
                byte[] chunk = new byte[1 << 16];
                int read;
                while ((read = stream.read(chunk)) >= 0) {
                    if (read > 0) {
                        response.write(Buffer.buffer(java.util.Arrays.copyOf(chunk, read)))
                                .toCompletionStage().toCompletableFuture().join();
                    }
                }
                // The send cleans up (its snapshot) before the receiver sees the end: the move then
                // destroys the old copy, which a snapshot destroy still under way keeps busy.
                stream.close();
                response.end();
            } catch (Exception e) {
                LOG.warnf("the send of %s broke off: %s", what, e.getMessage());
                response.reset();
            }
        });
    }

    /** Streams an image version for another host: {@code <key>/<version>}, {@code ?base=<n>} for the difference from n. */
    private void sendImageVersion(HttpServerRequest request, String rest) {
        String[] parts = rest.split("/");
        int version;
        int base;
        try {
            version = Integer.parseInt(parts[1]);
            String baseParameter = request.getParam("base");
            base = baseParameter == null ? 0 : Integer.parseInt(baseParameter);
        } catch (RuntimeException e) {
            request.response().setStatusCode(404).end(failure(Failure.NOT_FOUND, "no such image version: " + rest, null));
            return;
        }
        String key = parts[0];
        streamOut(request, "version " + version + " of image " + key, () -> host.images().sendVersion(key, version, base));
    }

    /** Receives an image version from another host: the body is spooled to a file, then received into the store. */
    private void receiveImageVersion(HttpServerRequest request) {
        receiveSpooled(request, AgentProtocol.IMAGE_RECEIVE_HEADER, AgentProtocol.ImageVersion.class, "image-receive",
                "bad image version", "the image version's stream did not arrive whole", (version, file) -> {
                    try (InputStream in = Files.newInputStream(file)) {
                        host.images().receiveVersion(version.key(), version.version(), in);
                    }
                    return null;
                });
    }

    /** Receives a moved instance: the body is spooled to a file, then received into the host's storage. */
    private void receiveInstance(HttpServerRequest request) {
        receiveSpooled(request, AgentProtocol.RECEIVE_HEADER, InstanceSpec.class, "receive",
                "bad instance spec", "the instance's stream did not arrive whole", (spec, file) -> {
                    try (InputStream in = Files.newInputStream(file)) {
                        return host.receiveInstance(spec, in);
                    }
                });
    }

    private interface Work {
        Object run() throws Exception;
    }

    private void answer(HttpServerRequest request, Work work) {
        int status;
        String body;
        try {
            Object result = work.run();
            status = result == null ? 204 : 200;
            body = result == null ? "" : JSON.writeValueAsString(result);
        } catch (ImageRefused e) {
            status = 422;
            body = failure(Failure.IMAGE_REFUSED, e.getMessage(), e.code());
        } catch (IllegalArgumentException e) {
            status = 422;
            body = failure(Failure.INVALID, e.getMessage(), null);
        } catch (IllegalStateException e) {
            status = 409;
            body = failure(Failure.CONFLICT, e.getMessage(), null);
        } catch (UnsupportedOperationException e) {
            status = 501;
            body = failure(Failure.UNSUPPORTED, e.getMessage(), null);
        } catch (Exception e) {
            LOG.warn("a contract call failed", e);
            status = 500;
            body = failure(Failure.FAILED, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage(), null);
        }
        request.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body);
    }

    private void console(ServerWebSocket socket) {
        if (!fromControlPlane(socket.sslSession())) {
            socket.reject(403);
            return;
        }
        String rest = socket.path().startsWith(AgentProtocol.CONSOLE_PATH)
                ? socket.path().substring(AgentProtocol.CONSOLE_PATH.length()) : "";
        String[] parts = rest.split("/");
        ConsoleKind kind;
        UUID instanceId;
        try {
            kind = ConsoleKind.valueOf(parts[0]);
            instanceId = UUID.fromString(parts[1]);
        } catch (RuntimeException e) {
            socket.reject(404);
            return;
        }
        socket.pause();
        calls.execute(() -> {
            ConsoleStream stream;
            try {
                stream = kind == ConsoleKind.SERIAL ? host.openConsole(instanceId) : host.openGraphics(instanceId);
            } catch (IOException | RuntimeException e) {
                socket.close((short) 1011, truncate("cannot open the console: " + e.getMessage()));
                return;
            }
            relay(socket, stream);
        });
    }

    private void relay(ServerWebSocket socket, ConsoleStream stream) {
        ExecutorService input = Executors.newSingleThreadExecutor(Thread.ofVirtual().name("agent-console-in").factory());
        socket.binaryMessageHandler(bytes -> input.execute(() -> {
            try {
                stream.toConsole().write(bytes.getBytes());
                stream.toConsole().flush();
            } catch (IOException e) {
                socket.close((short) 1011, "the console went away");
            }
        }));
        socket.textMessageHandler(text -> input.execute(() -> {
            try {
                AgentProtocol.Resize resize = JSON.readValue(text, AgentProtocol.Resize.class);
                boolean resized = stream.resize(resize.columns(), resize.rows());
                socket.writeTextMessage(JSON.writeValueAsString(new AgentProtocol.Resized(resized)));
            } catch (IOException | RuntimeException e) {
                socket.writeTextMessage("{\"resized\":false}");
            }
        }));
        socket.closeHandler(closed -> {
            input.shutdown();
            try {
                stream.close();
            } catch (IOException e) {
                LOG.debug("closing a console", e);
            }
        });
        socket.resume();
        try (InputStream output = stream.fromConsole()) {
            byte[] chunk = new byte[CONSOLE_CHUNK];
            int read;
            while ((read = output.read(chunk)) >= 0) {
                if (read > 0) {
                    socket.writeBinaryMessage(Buffer.buffer(java.util.Arrays.copyOf(chunk, read)))
                            .toCompletionStage().toCompletableFuture().join();
                }
            }
            socket.close((short) 1000, "the console ended");
        } catch (IOException | RuntimeException e) {
            if (!socket.isClosed()) {
                socket.close((short) 1011, "the console went away");
            }
        }
    }

    /** Whether the peer's certificate (already checked against the agent authority) names the control plane. */
    static boolean fromControlPlane(SSLSession session) {
        if (session == null) {
            return false;
        }
        try {
            Certificate[] chain = session.getPeerCertificates();
            if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
                return false;
            }
            for (Rdn rdn : new LdapName(leaf.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN") && AgentProtocol.CONTROL_PLANE_NAME.equals(rdn.getValue())) {
                    return true;
                }
            }
            return false;
        } catch (Exception e) {
            return false;
        }
    }

    private static String failure(String error, String message, String code) {
        try {
            return JSON.writeValueAsString(new Failure(error, message, code));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String truncate(String reason) {
        return reason.length() > 120 ? reason.substring(0, 120) : reason;
    }

    @Override
    public void close() {
        calls.shutdown();
        try {
            calls.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (ownsVertx) {
            vertx.close().toCompletionStage().toCompletableFuture().join();
        } else if (server != null) {
            server.close().toCompletionStage().toCompletableFuture().join();
        }
    }
}

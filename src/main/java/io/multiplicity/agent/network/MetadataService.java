package io.multiplicity.agent.network;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.multiplicity.agent.support.InstanceDirectories;
import io.multiplicity.host.contract.InstanceMetadata;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * The metadata service every instance reaches at {@code http://169.254.169.254/}: what the instance
 * is (id, hostname, address), its SSH keys and its user-data, in the layouts of EC2
 * ({@code /latest/meta-data/…}, {@code /latest/user-data}) and cloud-init's NoCloud
 * ({@code /nocloud/meta-data}, {@code /nocloud/user-data}), so stock images configure themselves.
 *
 * <p>One HTTP server per host, on an ephemeral port; the agent's table sends what a tenant bridge
 * addresses to 169.254.169.254:80 to it, at the gateway of that bridge. An instance is known by
 * the source address of its request, which the anti-spoofing table makes trustworthy, and the
 * request must have come in at its own network's gateway: an instance learns about itself only,
 * and nothing answers anyone else.
 */
public final class MetadataService implements AutoCloseable {

    /**
     * What tells a guest's cloud-init where its NoCloud data is: {@code meta-data},
     * {@code user-data} and {@code vendor-data} under {@code /nocloud/} of this service. QEMU puts
     * it in the SMBIOS system serial number (where cloud-init's ds-identify and its NoCloud
     * datasource look, so firmware-booted stock images find it too), mvm on the kernel command
     * line. {@code nocloud-net}: cloud-init 22.x reads an http seed only in its network stage.
     */
    public static final String NOCLOUD_SEED = "ds=nocloud-net;s=http://" + NftRuleset.METADATA_ADDRESS + "/nocloud/";

    private static final Logger LOG = Logger.getLogger(MetadataService.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Who asks: the instance at an address on a network whose gateway the request came in at. */
    public record Caller(UUID id, String name, String address, String gateway) {
    }

    /** The instance's description, kept on disk beside the networks' state. */
    record Description(String name, String address, InstanceMetadata metadata) {
    }

    private final Path directory;
    private final Function<String, Optional<Caller>> callers;
    private HttpServer server;

    /**
     * @param directory where the instances' descriptions live
     * @param callers   the instance at a source address, if any
     */
    MetadataService(Path directory, Function<String, Optional<Caller>> callers) {
        this.directory = directory;
        this.callers = callers;
    }

    /** Starts the server, once; returns its port. */
    synchronized int start() {
        if (server == null) {
            try {
                server = HttpServer.create(new InetSocketAddress("0.0.0.0", 0), 64);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start the metadata service", e);
            }
            server.createContext("/", this::handle);
            server.setExecutor(Executors.newFixedThreadPool(4, runnable -> {
                Thread thread = new Thread(runnable, "metadata");
                thread.setDaemon(true);
                return thread;
            }));
            server.start();
            LOG.infof("metadata service listening on port %d", server.getAddress().getPort());
        }
        return server.getAddress().getPort();
    }

    /** Its port, 0 while it is not started. */
    synchronized int port() {
        return server == null ? 0 : server.getAddress().getPort();
    }

    /** Keeps what the instance will be told. */
    void describe(UUID id, String name, String address, InstanceMetadata metadata) {
        try {
            InstanceDirectories.writeText(directory.resolve(id + ".json"),
                    JSON.writeValueAsString(new Description(name, address, metadata)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Forgets the instance. */
    void forget(UUID id) {
        try {
            Files.deleteIfExists(directory.resolve(id + ".json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Optional<Description> description(UUID id) {
        Path file = directory.resolve(id + ".json");
        try {
            return Files.exists(file) ? Optional.of(JSON.readValue(file.toFile(), Description.class)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String source = exchange.getRemoteAddress().getAddress().getHostAddress();
            String local = exchange.getLocalAddress().getAddress().getHostAddress();
            Optional<Caller> caller = callers.apply(source).filter(found -> found.gateway().equals(local));
            if (caller.isEmpty()) {
                send(exchange, 403, "no instance of this host at " + source + "\n");
                return;
            }
            if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
                send(exchange, 405, "only GET\n");
                return;
            }
            Description description = description(caller.get().id())
                    .orElse(new Description(caller.get().name(), caller.get().address(), InstanceMetadata.none()));
            String answer = answer(exchange.getRequestURI().getPath(), caller.get().id(), description);
            if (answer == null) {
                send(exchange, 404, "not found\n");
            } else {
                send(exchange, 200, answer);
            }
        } catch (RuntimeException e) {
            LOG.warnf("metadata request failed: %s", e.getMessage());
        }
    }

    /** The answer to a path, or null for none. */
    static String answer(String path, UUID id, Description description) {
        InstanceMetadata metadata = description.metadata() == null ? InstanceMetadata.none() : description.metadata();
        List<String> keys = metadata.sshKeys();
        String trimmed = path.endsWith("/") && path.length() > 1 ? path.substring(0, path.length() - 1) : path;
        switch (trimmed) {
            case "/", "/latest" -> {
                return "meta-data/\n" + (metadata.userData() == null ? "" : "user-data\n");
            }
            case "/latest/meta-data" -> {
                return "hostname\ninstance-id\nlocal-hostname\nlocal-ipv4\n" + (keys.isEmpty() ? "" : "public-keys/\n");
            }
            case "/latest/meta-data/instance-id" -> {
                return id.toString();
            }
            case "/latest/meta-data/hostname", "/latest/meta-data/local-hostname" -> {
                return description.name();
            }
            case "/latest/meta-data/local-ipv4" -> {
                return description.address();
            }
            case "/latest/meta-data/public-keys" -> {
                StringBuilder listing = new StringBuilder();
                for (int i = 0; i < keys.size(); i++) {
                    listing.append(i).append("=key-").append(i).append('\n');
                }
                return keys.isEmpty() ? null : listing.toString();
            }
            case "/latest/user-data", "/nocloud/user-data" -> {
                return metadata.userData() != null ? metadata.userData()
                        : trimmed.startsWith("/nocloud") ? "" : null;
            }
            case "/nocloud/meta-data" -> {
                StringBuilder yaml = new StringBuilder("instance-id: ").append(id).append('\n')
                        .append("local-hostname: ").append(description.name()).append('\n');
                if (!keys.isEmpty()) {
                    yaml.append("public-keys:\n");
                    keys.forEach(key -> yaml.append("  - \"").append(key.replace("\"", "")).append("\"\n"));
                }
                return yaml.toString();
            }
            case "/nocloud/vendor-data" -> {
                return "";
            }
            case "/multiplicity/v1/instance" -> {
                Map<String, Object> document = new LinkedHashMap<>();
                document.put("id", id);
                document.put("name", description.name());
                document.put("address", description.address());
                document.put("sshKeys", keys);
                document.put("userData", metadata.userData() != null);
                try {
                    return JSON.writeValueAsString(document) + "\n";
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            default -> {
                if (trimmed.matches("/latest/meta-data/public-keys/\\d+(/openssh-key)?")) {
                    String[] parts = trimmed.split("/");
                    int index = Integer.parseInt(parts[4]);
                    if (index >= keys.size()) {
                        return null;
                    }
                    return trimmed.endsWith("/openssh-key") ? keys.get(index) + "\n" : "openssh-key\n";
                }
                return null;
            }
        }
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, exchange.getRequestMethod().equals("HEAD") ? -1 : bytes.length);
        if (!exchange.getRequestMethod().equals("HEAD")) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public synchronized void close() {
        if (server != null) {
            server.stop(0);
            server = null;
        }
    }
}

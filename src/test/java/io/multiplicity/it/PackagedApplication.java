package io.multiplicity.it;

import io.multiplicity.support.TestKeycloak;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The packaged application (target/quarkus-app) run as its own process, as an operator runs it; also
 * the control-plane replicas of {@code host.remote.ReplicaFailoverIT}.
 */
public final class PackagedApplication implements AutoCloseable {

    /** Names of this test run's pool and bridge, so that it never touches another installation's. */
    static final String SUFFIX = java.util.HexFormat.of().toHexDigits(
            (short) java.util.concurrent.ThreadLocalRandom.current().nextInt());

    private static final Pattern WORKER = Pattern.compile("operation worker (\\S+) runs");

    private final Map<String, String> environment;
    private final Path log;
    private final int port;
    private Process process;

    public PackagedApplication(String jdbcUrl, Path log, Map<String, String> extra) throws IOException {
        this.port = freePort();
        this.log = log;
        this.environment = new java.util.HashMap<>();
        environment.put("QUARKUS_DATASOURCE_JDBC_URL", jdbcUrl);
        environment.put("QUARKUS_DATASOURCE_USERNAME", "postgres");
        environment.put("QUARKUS_DATASOURCE_PASSWORD", "postgres");
        environment.put("QUARKUS_HTTP_PORT", String.valueOf(port));
        environment.put("MULTIPLICITY_KEYCLOAK_URL", TestKeycloak.url());
        environment.put("MULTIPLICITY_OPERATIONS_LEASE", "3s");
        environment.put("MULTIPLICITY_OPERATIONS_HEARTBEAT", "1s");
        environment.put("MULTIPLICITY_DATA_DIR", log.getParent().resolve("data").toString());
        environment.put("MULTIPLICITY_AGENT_POOL_NAME", "mpi" + SUFFIX);
        environment.put("MULTIPLICITY_AGENT_BRIDGE", "mpi" + SUFFIX);
        environment.put("MULTIPLICITY_AGENT_POOL_SIZE_GIB", "4");
        environment.put("MULTIPLICITY_NETWORK_POOL", "10.92.0.0/16");
        // No test traffic leaves the machine: no uplink, no upstream resolvers.
        environment.put("MULTIPLICITY_AGENT_UPLINK", "none");
        this.environment.putAll(extra);
    }

    /** The file the application's output goes to. */
    public Path log() {
        return log;
    }

    public String url() {
        return "http://localhost:" + port;
    }

    public PackagedApplication start() throws IOException, InterruptedException {
        Path jar = TestKeycloak.projectRoot().resolve("target/quarkus-app/quarkus-run.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException("the application is not packaged: " + jar + " is missing");
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(List.of(java, "-jar", jar.toString()))
                .directory(TestKeycloak.projectRoot().toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(environment);
        process = builder.start();
        // On a loaded machine of two cores a start was measured at 148 s.
        Instant deadline = Instant.now().plus(Duration.ofSeconds(240));
        HttpClient http = HttpClient.newHttpClient();
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the application exited with " + process.exitValue() + "; see " + log);
            }
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url() + "/q/health/ready"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return this;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("the application did not become ready; see " + log);
    }

    public long pid() {
        return process.pid();
    }

    /** The operation worker id this process logged at startup. */
    public String workerId() throws IOException {
        String id = null;
        Matcher matcher = WORKER.matcher(Files.readString(log));
        while (matcher.find()) {
            id = matcher.group(1);
        }
        return id;
    }

    /** Kills the process the hard way, as a crash or an OOM kill would. */
    public void crash() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    /** Removes the pool and the bridges the agent of these processes created. */
    static void removeHostTraces(Path dataDirectory) {
        try {
            new io.multiplicity.agent.network.HostNetwork("mpi" + SUFFIX, dataDirectory.resolve("networks"),
                    io.multiplicity.agent.network.TenantNetworks.Uplink.none()).removeAll();
            io.multiplicity.agent.storage.ZfsStorage storage = new io.multiplicity.agent.storage.ZfsStorage("mpi" + SUFFIX);
            storage.destroyPool();
        } catch (RuntimeException e) {
            System.err.println("could not remove the test pool and bridge mpi" + SUFFIX + ": " + e.getMessage());
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}

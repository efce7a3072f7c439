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

/** The packaged application (target/quarkus-app) run as its own process, as an operator runs it. */
final class PackagedApplication implements AutoCloseable {

    private static final Pattern WORKER = Pattern.compile("operation worker (\\S+) runs");

    private final Map<String, String> environment;
    private final Path log;
    private final int port;
    private Process process;

    PackagedApplication(String jdbcUrl, Path log, Map<String, String> extra) throws IOException {
        this.port = freePort();
        this.log = log;
        this.environment = new java.util.HashMap<>(Map.of(
                "QUARKUS_DATASOURCE_JDBC_URL", jdbcUrl,
                "QUARKUS_DATASOURCE_USERNAME", "postgres",
                "QUARKUS_DATASOURCE_PASSWORD", "postgres",
                "QUARKUS_HTTP_PORT", String.valueOf(port),
                "MULTIPLICITY_KEYCLOAK_URL", TestKeycloak.url(),
                "MULTIPLICITY_OPERATIONS_LEASE", "3s",
                "MULTIPLICITY_OPERATIONS_HEARTBEAT", "1s",
                "MULTIPLICITY_DATA_DIR", log.getParent().resolve("data").toString()));
        this.environment.putAll(extra);
    }

    String url() {
        return "http://localhost:" + port;
    }

    PackagedApplication start() throws IOException, InterruptedException {
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
        Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
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

    long pid() {
        return process.pid();
    }

    /** The operation worker id this process logged at startup. */
    String workerId() throws IOException {
        String id = null;
        Matcher matcher = WORKER.matcher(Files.readString(log));
        while (matcher.find()) {
            id = matcher.group(1);
        }
        return id;
    }

    /** Kills the process the hard way, as a crash or an OOM kill would. */
    void crash() throws InterruptedException {
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

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}

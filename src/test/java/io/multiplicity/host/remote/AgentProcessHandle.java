package io.multiplicity.host.remote;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A host agent started as a process of its own, from this build's classes, the way a host of a
 * larger install runs it (io.multiplicity.agent.local.AgentProcess), on loopback, with a pool, a
 * bridge and a data directory of its own.
 */
final class AgentProcessHandle implements AutoCloseable {

    final Path dataDir;
    final String pool;
    final String bridge;
    final int port;
    final Path log;
    private Process process;

    AgentProcessHandle(String suffix) throws IOException {
        this.dataDir = Path.of("target", "remote-agent-" + suffix).toAbsolutePath();
        this.pool = "mra" + suffix;
        this.bridge = "mra" + suffix;
        try (ServerSocket free = new ServerSocket(0)) {
            this.port = free.getLocalPort();
        }
        Files.createDirectories(dataDir);
        this.log = dataDir.resolve("agent.log");
    }

    String url() {
        return "https://127.0.0.1:" + port;
    }

    /** Starts the agent; with a token it enrols with the control plane at {@code controlPlane} first. */
    void start(String controlPlane, String token) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                "-Djava.util.logging.manager=org.jboss.logmanager.LogManager",
                "-Dmultiplicity.agent.data-dir=" + dataDir,
                "-Dmultiplicity.agent.pool-name=" + pool,
                "-Dmultiplicity.agent.pool-size-gib=4",
                "-Dmultiplicity.agent.bridge=" + bridge,
                "-Dmultiplicity.agent.uplink=none",
                "-Dmultiplicity.agent.remote.listen-address=127.0.0.1",
                "-Dmultiplicity.agent.remote.port=" + port,
                "-Dmultiplicity.agent.remote.advertised-url=" + url(),
                "-Dmultiplicity.agent.remote.name=remote-" + pool,
                "-Dmultiplicity.agent.remote.control-plane-url=" + controlPlane));
        if (token != null) {
            command.add("-Dmultiplicity.agent.remote.enrolment-token=" + token);
        }
        command.add("io.multiplicity.agent.local.AgentProcess");
        long offset = Files.exists(log) ? Files.size(log) : 0;
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(180));
        while (Instant.now().isBefore(deadline)) {
            String output = Files.readString(log).substring((int) offset);
            if (output.contains("AGENT READY")) {
                return;
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("the agent process ended (" + process.exitValue() + "): " + output);
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the agent did not get ready: " + Files.readString(log).substring((int) offset));
    }

    /** Stops the agent process (SIGTERM) and waits for it; its instances keep running. */
    void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    @Override
    public void close() throws Exception {
        stop();
    }
}

package io.multiplicity.host.remote;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A host agent started as a process of its own, from this build's classes, the way a host of a
 * larger install runs it (io.multiplicity.agent.local.AgentProcess), with a pool, a bridge and a
 * data directory of its own: on loopback, or isolated in a network namespace of its own (as a
 * separate machine would be: its tenant networks, bridges, dnsmasq and nftables tables are its own),
 * reached by the control plane over a veth pair and nothing else.
 */
final class AgentProcessHandle implements AutoCloseable {

    final Path dataDir;
    final String pool;
    final String bridge;
    final int port;
    final Path log;
    /** The agent's network namespace, or null for one on loopback. */
    final String namespace;
    /** The control plane's end of the namespace's veth pair, and the agent's. */
    private final String outsideAddress;
    private final String insideAddress;
    private Process process;

    AgentProcessHandle(String suffix) throws IOException {
        this(suffix, -1);
    }

    /**
     * @param subnet with 0 to 63, the agent runs in a network namespace of its own, reached over the
     *               /30 number {@code subnet} of 10.253.{@code suffix-byte}.0/24; negative: on loopback
     */
    AgentProcessHandle(String suffix, int subnet) throws IOException {
        this.dataDir = Path.of("target", "remote-agent-" + suffix).toAbsolutePath();
        this.pool = "mra" + suffix;
        this.bridge = "mra" + suffix;
        try (ServerSocket free = new ServerSocket(0)) {
            this.port = free.getLocalPort();
        }
        Files.createDirectories(dataDir);
        this.log = dataDir.resolve("agent.log");
        if (subnet < 0) {
            namespace = null;
            outsideAddress = null;
            insideAddress = "127.0.0.1";
            return;
        }
        namespace = "mra" + suffix;
        int third = Math.floorMod(suffix.hashCode(), 250);
        outsideAddress = "10.253." + third + "." + (subnet * 4 + 1);
        insideAddress = "10.253." + third + "." + (subnet * 4 + 2);
        String outside = "mra" + suffix + "o";
        String inside = "mra" + suffix + "i";
        run("ip", "netns", "add", namespace);
        run("ip", "link", "add", outside, "type", "veth", "peer", "name", inside);
        run("ip", "link", "set", inside, "netns", namespace);
        run("ip", "addr", "add", outsideAddress + "/30", "dev", outside);
        run("ip", "link", "set", outside, "up");
        run("ip", "netns", "exec", namespace, "ip", "addr", "add", insideAddress + "/30", "dev", inside);
        run("ip", "netns", "exec", namespace, "ip", "link", "set", inside, "up");
        run("ip", "netns", "exec", namespace, "ip", "link", "set", "lo", "up");
    }

    private static void run(String... command) {
        io.multiplicity.agent.support.Command.Result result = io.multiplicity.agent.support.Command.run(command);
        if (!result.ok()) {
            throw new IllegalStateException(String.join(" ", command) + ": " + result.stderr());
        }
    }

    String url() {
        return "https://" + insideAddress + ":" + port;
    }

    /** The control plane's address as the agent reaches it. */
    String controlPlane(java.net.URL base) {
        return namespace == null ? base.toString()
                : "http://" + outsideAddress + ":" + base.getPort() + "/";
    }

    /** Starts the agent; with a token it enrols with the control plane at {@code controlPlane} first. */
    void start(String controlPlane, String token) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>();
        if (namespace != null) {
            // nsenter, not ip netns exec: the agent must share the host's mount namespace, where zfs-fuse mounts.
            command.addAll(List.of("nsenter", "--net=/run/netns/" + namespace));
        }
        command.addAll(List.of(java, "-cp", System.getProperty("java.class.path"),
                "-Djava.util.logging.manager=org.jboss.logmanager.LogManager",
                "-Dmultiplicity.agent.data-dir=" + dataDir,
                "-Dmultiplicity.agent.pool-name=" + pool,
                "-Dmultiplicity.agent.pool-size-gib=4",
                "-Dmultiplicity.agent.bridge=" + bridge,
                "-Dmultiplicity.agent.uplink=none",
                "-Dmultiplicity.agent.remote.listen-address=" + insideAddress,
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

    /**
     * Removes what the agent leaves on the host when it is stopped for good: its instances'
     * processes, its pool, its bridge, and its network namespace with whatever still runs in it.
     */
    void remove() throws InterruptedException {
        stop();
        String runc = "runc --root " + dataDir.resolve("run").resolve("oci");
        io.multiplicity.agent.support.Command.run("sh", "-c",
                "for c in $(" + runc + " list -q 2>/dev/null); do " + runc + " delete -f $c; done");
        if (namespace != null) {
            io.multiplicity.agent.support.Command.run("sh", "-c", "ip netns pids " + namespace + " | xargs -r kill -9");
            Thread.sleep(500);
        }
        // zfs-fuse may call the pool busy while the processes just killed let go of its mounts.
        for (int attempt = 0; attempt < 10; attempt++) {
            if (io.multiplicity.agent.support.Command.run("zpool", "destroy", "-f", pool).ok()
                    || !io.multiplicity.agent.support.Command.run("zpool", "list", pool).ok()) {
                break;
            }
            Thread.sleep(1000);
        }
        if (namespace != null) {
            io.multiplicity.agent.support.Command.run("ip", "netns", "del", namespace);
        } else {
            io.multiplicity.agent.support.Command.run("ip", "link", "del", bridge);
        }
    }

    /**
     * The id of this agent's host once the control plane at {@code panel} (empty: the test's own)
     * lists it as running jails; fails after 60 s.
     */
    UUID awaitHost(String panel) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (Instant.now().isBefore(deadline)) {
            List<Map<String, Object>> hosts = io.multiplicity.support.Api.as("admin").get(panel + "/api/v1/admin/hosts")
                    .path("items");
            for (Map<String, Object> host : hosts) {
                if (("remote-" + pool).equals(host.get("name")) && host.get("kinds") instanceof List<?> kinds
                        && kinds.contains("jail")) {
                    return UUID.fromString((String) host.get("id"));
                }
            }
            Thread.sleep(250);
        }
        throw new AssertionError("the agent's host did not report jails: "
                + io.multiplicity.support.Api.as("admin").get(panel + "/api/v1/admin/hosts").asString());
    }

    @Override
    public void close() throws Exception {
        stop();
    }
}

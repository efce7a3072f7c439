package io.multiplicity.agent.jail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.multiplicity.agent.support.Command;
import io.multiplicity.agent.support.Command.Result;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Drives an OCI runtime ({@code runc} or {@code crun}; both take the same command line) with its
 * state kept under a root directory of our own, so the agent only ever sees its own jails.
 */
public final class OciRuntime {

    /** What the runtime reports of one container. */
    public record ContainerState(String id, String status, long pid) {

        /** Its init runs (or is paused); a container only created has not started its init. */
        public boolean running() {
            return "running".equals(status) || "paused".equals(status);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String program;
    private final Path root;

    public OciRuntime(String program, Path root) {
        this.program = program;
        this.root = root;
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Picks the runtime: {@code crun} where the cgroup hierarchy is unified v2 (it refuses
     * hybrid hosts), {@code runc} otherwise; an explicit choice wins.
     */
    public static String choose(String configured) {
        if (configured != null && !configured.isBlank() && !configured.equals("auto")) {
            return configured;
        }
        boolean unified = Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"));
        if (unified && Command.run("crun", "--version").ok()) {
            return "crun";
        }
        return "runc";
    }

    public String program() {
        return program;
    }

    /** The runtime's version, e.g. "1.1.5", or null when it is missing. */
    public String version() {
        Result result = Command.run(program, "--version");
        if (!result.ok()) {
            return null;
        }
        String first = result.stdout().lines().findFirst().orElse("");
        String[] words = first.split("\\s+");
        return words.length >= 3 ? words[2] : first.strip();
    }

    private List<String> base(String... arguments) {
        return Command.join(List.of(program, "--root", root.toString()), arguments);
    }

    /**
     * The command that creates a container whose console goes to {@code consoleSocket} (run by
     * {@link ConsoleKeeper}); its init waits for {@link #start}.
     */
    public List<String> createCommand(String id, Path bundle, Path consoleSocket, Path pidFile) {
        // No session keyring per jail: the kernel counts keyrings per host uid (200 by default), and
        // jails in user namespaces share one; the jail's seccomp filter refuses the keyring calls.
        return base("create", "--no-new-keyring", "--bundle", bundle.toString(), "--console-socket",
                consoleSocket.toString(), "--pid-file", pidFile.toString(), id);
    }

    /** Lets the init of a created container run. */
    public void start(String id) {
        if (!startThroughExecFifo(id)) {
            Command.run(base("start", id), null).check();
        }
    }

    /** runc's name, in its container's state directory, for the FIFO its created init waits on. */
    static final String EXEC_FIFO = "exec.fifo";

    /**
     * What {@code runc start} does for a created container without a hook, without starting a
     * runc (a Go program: 20 to 40 ms of a jail's start): a created container's init has opened
     * the container's exec FIFO for writing and is blocked there; opening it to read lets the init
     * write one byte and execute the container's process, whose start closes the FIFO; runc then
     * removes it (and from then on says "running"). False where it does not apply (crun, a
     * container not in state "created"): the runtime's own start is called.
     */
    private boolean startThroughExecFifo(String id) {
        Path fifo = root.resolve(id).resolve(EXEC_FIFO);
        if (!"runc".equals(Path.of(program).getFileName().toString()) || !Files.exists(fifo)) {
            return false;
        }
        java.util.concurrent.CompletableFuture<byte[]> read = new java.util.concurrent.CompletableFuture<>();
        Thread.ofPlatform().daemon().name("exec-fifo-" + id).start(() -> {
            try {
                read.complete(Files.readAllBytes(fifo));
            } catch (IOException e) {
                read.completeExceptionally(e);
            }
        });
        byte[] written;
        try {
            written = read.get(START_TIMEOUT_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            // No init holds the other end: opening it to write ends the reader's wait.
            try (java.io.FileOutputStream unblock = new java.io.FileOutputStream(fifo.toFile())) {
                unblock.flush();
            } catch (IOException ignored) {
                // the reader ended meanwhile
            }
            throw new IllegalStateException("the jail's init did not start within " + START_TIMEOUT_SECONDS + " s");
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("cannot start the jail's init: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the jail's init", e);
        }
        if (written.length == 0) {
            throw new IllegalStateException("the jail's init is gone before it started");
        }
        try {
            Files.deleteIfExists(fifo);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return true;
    }

    private static final int START_TIMEOUT_SECONDS = 10;

    /** Whether the runtime holds a container of this id (without asking it: its state directory). */
    public boolean exists(String id) {
        return Files.isDirectory(root.resolve(id));
    }

    public Optional<ContainerState> state(String id) {
        if (!exists(id)) {
            return Optional.empty();
        }
        Result result = Command.run(base("state", id), null);
        if (!result.ok()) {
            return Optional.empty();
        }
        return Optional.of(parse(read(result.stdout())));
    }

    /** Every container under our root. */
    public Map<String, ContainerState> list() {
        Result result = Command.run(base("list", "--format", "json"), null).check();
        Map<String, ContainerState> states = new HashMap<>();
        String text = result.stdout().strip();
        if (text.isEmpty() || text.equals("null")) {
            return states;
        }
        for (JsonNode node : read(text)) {
            ContainerState state = parse(node);
            states.put(state.id(), state);
        }
        return states;
    }

    /** Sends a signal to the init of the container (or to all its processes). */
    public Result kill(String id, String signal, boolean all) {
        return all ? Command.run(base("kill", "--all", id, signal), null) : Command.run(base("kill", id, signal), null);
    }

    public void delete(String id) {
        Result result = Command.run(base("delete", "--force", id), null);
        if (!result.ok() && !result.stderr().contains("does not exist") && !result.stderr().contains("not exist")) {
            result.check();
        }
    }

    /** Applies new resource limits to a running container. */
    public void update(String id, Path resourcesJson) {
        Command.run(base("update", "--resources", resourcesJson.toString(), id), null).check();
    }

    /** Runs a command inside a running container, without a terminal. */
    public Result exec(String id, String... command) {
        return Command.run(Command.join(base("exec", id), command), null);
    }

    private static JsonNode read(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ContainerState parse(JsonNode node) {
        return new ContainerState(node.path("id").asText(), node.path("status").asText(), node.path("pid").asLong());
    }
}

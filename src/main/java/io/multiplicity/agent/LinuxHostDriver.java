package io.multiplicity.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.multiplicity.agent.Command.Result;
import io.multiplicity.agent.image.BusyboxImageBuilder;
import io.multiplicity.agent.jail.ConsoleConnection;
import io.multiplicity.agent.jail.ConsoleKeeper;
import io.multiplicity.agent.jail.OciBundle;
import io.multiplicity.agent.jail.OciRuntime;
import io.multiplicity.agent.jail.OciRuntime.ContainerState;
import io.multiplicity.agent.network.HostNetwork;
import io.multiplicity.agent.storage.DatasetUsage;
import io.multiplicity.agent.storage.ZfsStorage;
import io.multiplicity.host.HostDriver;
import io.multiplicity.host.HostFacts;
import io.multiplicity.host.MachineFacts;
import io.multiplicity.host.InstanceSpec;
import io.multiplicity.host.InstanceStatus;
import io.multiplicity.host.InstanceStatus.State;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The host agent's driver for jails on Linux: ZFS storage ({@link ZfsStorage}), an OCI runtime
 * ({@link OciRuntime}, runc or crun), per-tenant host networking ({@link HostNetwork}) and a
 * console keeper per running jail ({@link ConsoleKeeper}).
 *
 * <p>All it knows of a jail lives on disk, under {@code <data>/jails/<id>/}: the spec it was last
 * given, the OCI bundle, whether it should be running, the keeper's pid. The runtime's own state
 * lives under {@code <data>/run/oci}. A new driver over the same data directory (after the agent
 * restarted) therefore finds running jails and adopts them as they are, and reports jails that
 * should run but do not as {@link State#CRASHED}.
 *
 * <p>Construction prepares the host (pool, datasets, the busybox image) and never throws: what
 * fails is reported by {@link #facts()} under {@code problems}, and instance operations then fail
 * with that reason.
 */
public final class LinuxHostDriver implements HostDriver {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SOCKET_PATH_MAX = 100;

    /** First host id of the range jails' user namespaces map (as LXD's default map, shared by jails). */
    public static final int ID_BASE = 1 << 20;

    /**
     * What the agent records of a jail beside its spec.
     *
     * @param shouldRun  started and not asked to stop since
     * @param keeperPid  its console keeper
     * @param idBase     first host id of its user namespace, -1 without one (from its image)
     */
    record JailRecord(boolean shouldRun, long keeperPid, int idBase) {

        JailRecord withRun(boolean run, long keeper) {
            return new JailRecord(run, keeper, idBase);
        }
    }

    private final AgentConfig config;
    private final ZfsStorage storage;
    private final OciRuntime runtime;
    private final HostNetwork network;
    private final ConsoleKeeper keeper;
    private final Map<String, String> problems = new LinkedHashMap<>();
    private final Map<String, String> runtimes = new LinkedHashMap<>();
    private final Map<UUID, Object> locks = new ConcurrentHashMap<>();
    private final Map<String, Integer> imageVersions = new ConcurrentHashMap<>();
    private final Map<String, Integer> imageIdBases = new ConcurrentHashMap<>();
    private boolean userNamespaces;

    public LinuxHostDriver(AgentConfig config) {
        this.config = config;
        this.storage = new ZfsStorage(config.poolName());
        this.runtime = new OciRuntime(OciRuntime.choose(config.runtime()), config.runtimeRoot());
        this.network = new HostNetwork(config.bridge());
        this.keeper = new ConsoleKeeper(config.resolvedConsoleKeeper());
        prepareHost();
    }

    private void prepareHost() {
        try {
            Files.createDirectories(config.jailsDirectory());
            Files.createDirectories(socketDirectory());
        } catch (IOException e) {
            problems.put("jail", "cannot create " + config.jailsDirectory() + ": " + e.getMessage());
            return;
        }
        if (socketDirectory().toString().length() + 45 > SOCKET_PATH_MAX) {
            problems.put("jail", "data directory path too long for unix sockets: " + config.dataDirectory());
            return;
        }
        String runtimeVersion = runtime.version();
        if (runtimeVersion != null) {
            runtimes.put(runtime.program(), runtimeVersion);
        }
        runtimes.put("zfs", storage.version());
        if (runtimeVersion == null) {
            problems.put("jail", "OCI runtime " + runtime.program() + " not found");
            return;
        }
        userNamespaces = config.userNamespaces() && userNamespacesAllowed();
        if (config.userNamespaces() && !userNamespaces) {
            problems.put("userns", "the host allows no user namespaces; jail root is host root");
        }
        if (!keeper.available()) {
            problems.put("jail", "console-keeper not found at " + keeper.program() + " (build it: make -C src/main/c)");
            return;
        }
        try {
            storage.ensurePool(config.resolvedPoolFile(), config.poolSizeGiB(), config.poolMountpoint(),
                    config.dataDirectory().resolve("run").resolve("zfs-fuse.pid"));
        } catch (RuntimeException e) {
            problems.put("jail", "ZFS not usable: " + e.getMessage());
            return;
        }
        Optional<Path> busybox = BusyboxImageBuilder.findStaticBusybox();
        if (busybox.isEmpty()) {
            problems.put("image:busybox", "no static busybox on the host (install busybox-static)");
            return;
        }
        try {
            new BusyboxImageBuilder(storage, busybox.get()).ensure(userNamespaces ? ID_BASE : -1);
        } catch (RuntimeException e) {
            problems.put("image:busybox", "cannot build the busybox image: " + e.getMessage());
        }
    }

    public AgentConfig config() {
        return config;
    }

    public ZfsStorage storage() {
        return storage;
    }

    public HostNetwork network() {
        return network;
    }

    /** Whether jails built here get a user namespace (their image's files are shifted for it). */
    public boolean usesUserNamespaces() {
        return userNamespaces;
    }

    /** The first host id of a jail's user namespace, -1 when it runs without one. */
    public int idBase(UUID id) {
        return readRecord(id).idBase();
    }

    /** The OCI runtime in use ("runc" or "crun"). */
    public String runtimeName() {
        return runtime.program();
    }

    // ---------------------------------------------------------------- HostDriver

    @Override
    public HostFacts facts() {
        long storageGiB = 0;
        if (!problems.containsKey("jail")) {
            try {
                storageGiB = storage.poolSpace()[0] >> 30;
            } catch (RuntimeException e) {
                storageGiB = 0;
            }
        }
        return new HostFacts(MachineFacts.hostname(), MachineFacts.cpus(), MachineFacts.memoryMiB(), storageGiB,
                problems.containsKey("jail") ? Set.of() : Set.of("jail"), Map.copyOf(runtimes), Map.copyOf(problems));
    }

    @Override
    public InstanceStatus provision(InstanceSpec spec) {
        checkSpec(spec);
        synchronized (lock(spec.id())) {
            provisionLocked(spec);
            return statusLocked(spec.id());
        }
    }

    private void provisionLocked(InstanceSpec spec) {
        Path directory = jailDirectory(spec.id());
        int version = imageVersion(spec.image());
        JailRecord record;
        if (Files.exists(directory.resolve("state.json"))) {
            record = readRecord(spec.id());
        } else {
            record = new JailRecord(false, 0, imageIdBases.computeIfAbsent(imageName(spec.image()), storage::imageIdBase));
            writeRecord(spec.id(), record);
        }
        Path root = storage.cloneInstance(spec.id(), imageName(spec.image()), version, spec.diskGiB());
        writeJson(directory.resolve("spec.json"), spec);
        OciBundle.write(directory, OciBundle.config(spec, root, cgroupsPath(spec.id()), config.pidsLimit(),
                record.idBase()));
    }

    private static boolean userNamespacesAllowed() {
        try {
            return Long.parseLong(Files.readString(Path.of("/proc/sys/user/max_user_namespaces")).strip()) > 0;
        } catch (IOException | NumberFormatException e) {
            return false;
        }
    }

    @Override
    public InstanceStatus start(InstanceSpec spec) {
        checkSpec(spec);
        synchronized (lock(spec.id())) {
            Optional<ContainerState> state = runtime.state(spec.id().toString());
            if (state.isPresent() && state.get().running()) {
                return statusLocked(spec.id());
            }
            if (state.isPresent()) {
                runtime.delete(spec.id().toString());
            }
            if (!isProvisioned(spec)) {
                provisionLocked(spec);
            }
            Path directory = jailDirectory(spec.id());
            Path consoleSocket = socketDirectory().resolve(spec.id() + ".rt");
            Path serveSocket = consoleSocket(spec.id());
            JailRecord previous = readRecord(spec.id());
            if (ConsoleKeeper.alive(previous.keeperPid())) {
                ConsoleKeeper.stop(previous.keeperPid());
            }
            ConsoleKeeper.stopStrays(serveSocket);
            writeRecord(spec.id(), previous.withRun(true, 0));
            long keeperPid = 0;
            try {
                keeperPid = keeper.start(consoleSocket, serveSocket, controlSocket(spec.id()), directory.resolve("console.log"),
                        runtime.createCommand(spec.id().toString(), directory, consoleSocket,
                                directory.resolve("init.pid")));
                network.attach(spec.id(), readPidFile(directory.resolve("init.pid")), spec.network());
                runtime.start(spec.id().toString());
            } catch (RuntimeException e) {
                writeRecord(spec.id(), previous.withRun(false, 0));
                runtime.delete(spec.id().toString());
                network.detach(spec.id());
                waitForKeeper(keeperPid);
                throw e;
            }
            writeRecord(spec.id(), previous.withRun(true, keeperPid));
            long pid = readPidFile(directory.resolve("init.pid"));
            if (processAlive(pid)) {
                return new InstanceStatus(spec.id(), State.RUNNING, pid, null);
            }
            return statusLocked(spec.id());
        }
    }

    /** Whether the jail is provisioned for exactly this spec (so starting it needs no more). */
    private boolean isProvisioned(InstanceSpec spec) {
        Path directory = jailDirectory(spec.id());
        if (!Files.exists(directory.resolve("config.json"))) {
            return false;
        }
        try {
            return spec.equals(JSON.readValue(directory.resolve("spec.json").toFile(), InstanceSpec.class));
        } catch (IOException e) {
            return false;
        }
    }

    private static long readPidFile(Path file) {
        try {
            return Long.parseLong(Files.readString(file).strip());
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    @Override
    public InstanceStatus stop(UUID instanceId, Duration timeout) {
        synchronized (lock(instanceId)) {
            stopLocked(instanceId, timeout);
            return statusLocked(instanceId);
        }
    }

    private void stopLocked(UUID instanceId, Duration timeout) {
        String id = instanceId.toString();
        if (Files.exists(jailDirectory(instanceId).resolve("state.json"))) {
            JailRecord record = readRecord(instanceId);
            writeRecord(instanceId, record.withRun(false, record.keeperPid()));
        }
        Optional<ContainerState> state = runtime.state(id);
        if (state.isEmpty()) {
            return;
        }
        if (state.get().running() && state.get().pid() > 0) {
            long pid = state.get().pid();
            if (!timeout.isZero()) {
                runtime.kill(id, "TERM", false);
                waitForExit(pid, timeout);
            }
            if (processAlive(pid)) {
                runtime.kill(id, "KILL", true);
                waitForExit(pid, Duration.ofSeconds(10));
            }
        }
        runtime.delete(id);
        network.detach(instanceId);
        waitForKeeper(readRecord(instanceId).keeperPid());
    }

    @Override
    public void destroy(UUID instanceId) {
        synchronized (lock(instanceId)) {
            stopLocked(instanceId, Duration.ZERO);
            runtime.delete(instanceId.toString());
            Path directory = jailDirectory(instanceId);
            if (Files.exists(directory.resolve("state.json"))) {
                ConsoleKeeper.stop(readRecord(instanceId).keeperPid());
            }
            network.detach(instanceId);
            storage.destroyInstance(instanceId);
            deleteTree(directory);
            try {
                Files.deleteIfExists(consoleSocket(instanceId));
                Files.deleteIfExists(socketDirectory().resolve(instanceId + ".rt"));
                Files.deleteIfExists(controlSocket(instanceId));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        locks.remove(instanceId);
    }

    @Override
    public InstanceStatus status(UUID instanceId) {
        synchronized (lock(instanceId)) {
            return statusLocked(instanceId);
        }
    }

    private InstanceStatus statusLocked(UUID instanceId) {
        return statusOf(instanceId, runtime.state(instanceId.toString()).orElse(null));
    }

    private InstanceStatus statusOf(UUID instanceId, ContainerState state) {
        boolean known = Files.exists(jailDirectory(instanceId).resolve("state.json"));
        if (!known && state == null) {
            return InstanceStatus.absent(instanceId);
        }
        if (state != null && state.running() && processAlive(state.pid())) {
            return new InstanceStatus(instanceId, State.RUNNING, state.pid(),
                    "running".equals(state.status()) ? null : state.status());
        }
        if (known && readRecord(instanceId).shouldRun()) {
            return new InstanceStatus(instanceId, State.CRASHED, 0,
                    state == null ? "the jail is not running and its runtime has no record of it"
                            : "the jail's init exited without being asked to stop");
        }
        return new InstanceStatus(instanceId, State.STOPPED, 0, null);
    }

    @Override
    public List<InstanceStatus> list() {
        Map<String, ContainerState> states = runtime.list();
        List<InstanceStatus> statuses = new ArrayList<>();
        Set<String> seen = new java.util.HashSet<>();
        try (Stream<Path> directories = Files.list(config.jailsDirectory())) {
            for (Path directory : directories.sorted().toList()) {
                UUID id;
                try {
                    id = UUID.fromString(directory.getFileName().toString());
                } catch (IllegalArgumentException e) {
                    continue;
                }
                seen.add(id.toString());
                statuses.add(statusOf(id, states.get(id.toString())));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (ContainerState state : states.values()) {
            if (!seen.contains(state.id())) {
                try {
                    statuses.add(statusOf(UUID.fromString(state.id()), state));
                } catch (IllegalArgumentException e) {
                    // not one of ours
                }
            }
        }
        return statuses;
    }

    @Override
    public InstanceStatus restart(InstanceSpec spec, Duration timeout) {
        synchronized (lock(spec.id())) {
            stopLocked(spec.id(), timeout);
            return start(spec);
        }
    }

    @Override
    public void snapshot(UUID instanceId, String name) {
        synchronized (lock(instanceId)) {
            requireKnown(instanceId);
            storage.snapshot(instanceId, name);
        }
    }

    @Override
    public InstanceStatus rollback(InstanceSpec spec, String name) {
        synchronized (lock(spec.id())) {
            requireKnown(spec.id());
            boolean wasRunning = statusLocked(spec.id()).state() == State.RUNNING;
            if (wasRunning) {
                stopLocked(spec.id(), Duration.ofSeconds(10));
            }
            storage.rollback(spec.id(), name);
            if (wasRunning) {
                return start(spec);
            }
            return statusLocked(spec.id());
        }
    }

    @Override
    public void deleteSnapshot(UUID instanceId, String name) {
        synchronized (lock(instanceId)) {
            storage.destroySnapshot(instanceId, name);
        }
    }

    /** Lists the instance's snapshots, oldest first. */
    public List<String> snapshots(UUID instanceId) {
        return storage.snapshots(instanceId);
    }

    @Override
    public InstanceStatus resize(InstanceSpec spec) {
        checkSpec(spec);
        synchronized (lock(spec.id())) {
            requireKnown(spec.id());
            storage.setQuota(spec.id(), spec.diskGiB());
            provisionLocked(spec);
            Optional<ContainerState> state = runtime.state(spec.id().toString());
            if (state.isPresent() && state.get().running()) {
                Path resources = jailDirectory(spec.id()).resolve("resources.json");
                Map<String, Object> limits = new LinkedHashMap<>(
                        OciBundle.resources(spec.vcpus(), spec.memoryMiB(), config.pidsLimit()));
                limits.remove("devices");
                writeJson(resources, limits);
                runtime.update(spec.id().toString(), resources);
            }
            return statusLocked(spec.id());
        }
    }

    @Override
    public Usage usage(UUID instanceId) {
        DatasetUsage disk = storage.usage(instanceId);
        long memory = readCgroupValue(instanceId, "memory", "memory.usage_in_bytes", "memory.current");
        long cpu = readCgroupValue(instanceId, "cpuacct", "cpuacct.usage", null);
        if (cpu == 0) {
            cpu = cgroupV2CpuNanos(instanceId);
        }
        // The host end of the veth pair sends what the jail receives, and the reverse.
        long received = network.hostInterfaceCounter(instanceId, "tx_bytes");
        long sent = network.hostInterfaceCounter(instanceId, "rx_bytes");
        return new Usage(disk.usedBytes(), disk.referencedBytes(), disk.snapshotBytes(), disk.compressRatio(),
                memory, cpu, received, sent);
    }

    @Override
    public ConsoleConnection openConsole(UUID instanceId) throws IOException {
        return ConsoleConnection.open(consoleSocket(instanceId), controlSocket(instanceId));
    }

    /** Runs a command inside a running jail (without a terminal) and returns what it printed. */
    public Result exec(UUID instanceId, String... command) {
        return runtime.exec(instanceId.toString(), command);
    }

    // ---------------------------------------------------------------- paths and records

    /** The jail's cgroup (relative to each hierarchy's root). */
    public static String cgroupsPath(UUID id) {
        return "/multiplicity/" + id;
    }

    public Path jailDirectory(UUID id) {
        return config.jailsDirectory().resolve(id.toString());
    }

    /** The unix socket on which the jail's console is served. */
    public Path consoleSocket(UUID id) {
        return socketDirectory().resolve(id + ".console");
    }

    /** The unix socket on which the jail's console keeper takes window sizes. */
    public Path controlSocket(UUID id) {
        return socketDirectory().resolve(id + ".ctl");
    }

    private Path socketDirectory() {
        return config.dataDirectory().resolve("run");
    }

    private Object lock(UUID id) {
        return locks.computeIfAbsent(id, key -> new Object());
    }

    private void checkSpec(InstanceSpec spec) {
        if (!"jail".equals(spec.kind())) {
            throw new IllegalArgumentException("this driver runs jails, not " + spec.kind());
        }
        if (problems.containsKey("jail")) {
            throw new IllegalStateException("jails unavailable on this host: " + problems.get("jail"));
        }
        if (spec.name() == null || !spec.name().matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")) {
            throw new IllegalArgumentException("instance name must be a DNS label: " + spec.name());
        }
        if (spec.vcpus() < 1 || spec.memoryMiB() < 16 || spec.diskGiB() < 1) {
            throw new IllegalArgumentException("jail needs at least 1 vCPU, 16 MiB of memory and 1 GiB of disk");
        }
    }

    private void requireKnown(UUID id) {
        if (!Files.exists(jailDirectory(id).resolve("state.json"))) {
            throw new IllegalArgumentException("no jail " + id + " on this host");
        }
    }

    /** Image references are {@code name} (its newest version) or {@code name@v<version>}. */
    private static String imageName(String image) {
        int at = image.indexOf('@');
        return at < 0 ? image : image.substring(0, at);
    }

    private int imageVersion(String image) {
        int at = image.indexOf("@v");
        if (at >= 0) {
            return Integer.parseInt(image.substring(at + 2));
        }
        return imageVersions.computeIfAbsent(image, name -> storage.latestImageVersion(name)
                .orElseThrow(() -> new IllegalArgumentException("no image " + name + " on this host")));
    }

    private JailRecord readRecord(UUID id) {
        Path file = jailDirectory(id).resolve("state.json");
        try {
            return Files.exists(file) ? JSON.readValue(file.toFile(), JailRecord.class) : new JailRecord(false, 0, -1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void writeRecord(UUID id, JailRecord record) {
        writeJson(jailDirectory(id).resolve("state.json"), record);
    }

    private static void writeJson(Path file, Object value) {
        try {
            Files.createDirectories(file.getParent());
            Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
            JSON.writeValue(temporary.toFile(), value);
            Files.move(temporary, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path directory) {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean processAlive(long pid) {
        if (pid <= 0 || !Files.exists(Path.of("/proc", Long.toString(pid)))) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int end = stat.lastIndexOf(')');
            char state = stat.charAt(end + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static void waitForExit(long pid, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (processAlive(pid) && System.nanoTime() < deadline) {
            sleep(10);
        }
    }

    private static void waitForKeeper(long pid) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (ConsoleKeeper.alive(pid) && System.nanoTime() < deadline) {
            sleep(10);
        }
        if (ConsoleKeeper.alive(pid)) {
            ConsoleKeeper.stop(pid);
        }
    }

    private static long readCgroupValue(UUID id, String controller, String v1File, String v2File) {
        List<Path> candidates = new ArrayList<>();
        candidates.add(Path.of("/sys/fs/cgroup", controller, "multiplicity", id.toString(), v1File));
        if (v2File != null) {
            candidates.add(Path.of("/sys/fs/cgroup", "multiplicity", id.toString(), v2File));
        }
        for (Path candidate : candidates) {
            try {
                return Long.parseLong(Files.readString(candidate).strip());
            } catch (IOException | NumberFormatException e) {
                // try the next layout
            }
        }
        return 0;
    }

    private static long cgroupV2CpuNanos(UUID id) {
        try {
            for (String line : Files.readAllLines(Path.of("/sys/fs/cgroup/multiplicity", id.toString(), "cpu.stat"))) {
                if (line.startsWith("usage_usec ")) {
                    return Long.parseLong(line.substring("usage_usec ".length()).strip()) * 1000;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}

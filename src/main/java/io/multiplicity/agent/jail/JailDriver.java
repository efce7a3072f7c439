package io.multiplicity.agent.jail;

import io.multiplicity.agent.driver.AgentConfig;
import io.multiplicity.agent.driver.InstanceDriver;
import io.multiplicity.agent.jail.OciRuntime.ContainerState;
import io.multiplicity.agent.network.HostNetwork;
import io.multiplicity.agent.network.TenantNetworks;
import io.multiplicity.agent.storage.DatasetUsage;
import io.multiplicity.agent.storage.WarmClone;
import io.multiplicity.agent.storage.ZfsStorage;
import io.multiplicity.agent.support.Command.Result;
import io.multiplicity.agent.support.ImageReference;
import io.multiplicity.agent.support.InstanceDirectories;
import io.multiplicity.agent.support.Processes;
import io.multiplicity.host.contract.HostFacts;
import io.multiplicity.host.contract.InstanceSpec;
import io.multiplicity.host.contract.InstanceStatus;
import io.multiplicity.host.contract.InstanceStatus.State;
import io.multiplicity.host.contract.InstanceUsage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

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
public final class JailDriver extends InstanceDriver implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(JailDriver.class);

    private static final int SOCKET_PATH_MAX = 100;

    /** First host id of the range images' files are shifted into (each jail then gets its own, {@link JailIdRanges}). */
    public static final int ID_BASE = JailIdRanges.IMAGE_BASE;

    /**
     * What the agent records of a jail beside its spec.
     *
     * @param shouldRun  started and not asked to stop since
     * @param keeperPid  its console keeper
     * @param idBase     first host id of its user namespace ({@link JailIdRanges}), -1 without one
     * @param init       the kind of init its image runs (read from its root when it was provisioned)
     * @param idsShifted its root's files were moved from the image's id range into its own
     * @param datasetRoot where its dataset is mounted on the host (the runtime reaches it through
     *                   {@link JailRootGate}); null for a jail provisioned before there was a gate
     */
    record JailRecord(boolean shouldRun, long keeperPid, int idBase, JailInit init, boolean idsShifted,
            String datasetRoot) {

        JailRecord {
            init = init == null ? JailInit.PLAIN : init;
        }

        JailRecord withRun(boolean run, long keeper) {
            return new JailRecord(run, keeper, idBase, init, idsShifted, datasetRoot);
        }

        JailRecord withInit(JailInit kind) {
            return new JailRecord(shouldRun, keeperPid, idBase, kind, idsShifted, datasetRoot);
        }

        JailRecord withIdsShifted() {
            return new JailRecord(shouldRun, keeperPid, idBase, init, true, datasetRoot);
        }

        JailRecord withDatasetRoot(Path root) {
            return new JailRecord(shouldRun, keeperPid, idBase, init, idsShifted, root.toString());
        }
    }

    private final AgentConfig config;
    private final InstanceDirectories<JailRecord> jails;
    private final OciRuntime runtime;
    private final HostNetwork network;
    private final ConsoleKeeper keeper;
    private final Map<String, String> problems = new LinkedHashMap<>();
    private final Map<String, String> runtimes = new LinkedHashMap<>();
    private final Map<String, Integer> imageVersions = new ConcurrentHashMap<>();
    private final Map<String, Integer> imageIdBases = new ConcurrentHashMap<>();
    /** Per image version; read once per agent start (a zfs call costs as much as the rest of a start on zfs-fuse). */
    private final Map<String, Set<SeccompProfile.Allowance>> imageAllowances = new ConcurrentHashMap<>();
    /** Steps of a provisioning not yet followed by a start, then of the last start, per jail. */
    private final Map<UUID, StartSpans> provisionSpans = new ConcurrentHashMap<>();
    private final Map<UUID, StartSpans> startSpans = new ConcurrentHashMap<>();
    private boolean userNamespaces;
    private Path lxcfs;
    private JailIdRanges idRanges;
    /** Clones made ahead; none until the host is ready for jails. */
    private JailWarmPool warmPool;

    public JailDriver(AgentConfig config) {
        super(new ZfsStorage(config.poolName()));
        this.config = config;
        this.jails = new InstanceDirectories<>(config.jailsDirectory(), JailRecord.class, new JailRecord(false, 0, -1, JailInit.PLAIN, false, null));
        this.runtime = new OciRuntime(OciRuntime.choose(config.runtime()), config.runtimeRoot());
        this.network = new HostNetwork(config.bridge(), config.dataDirectory().resolve("networks"), config.uplink());
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
        runtimes.put("uplink", config.uplink().device() == null ? "none" : config.uplink().device());
        runtimes.put("resolvers", config.uplink().resolvers().isEmpty() ? "none"
                : String.join(",", config.uplink().resolvers()));
        String networks = TenantNetworks.unavailableReason();
        if (networks != null) {
            problems.put("network", networks);
        }
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
        StringBuilder lxcfsProblem = new StringBuilder();
        lxcfs = Lxcfs.ensure(lxcfsProblem).orElse(null);
        if (lxcfs == null) {
            problems.put("lxcfs", lxcfsProblem.toString());
        }
        if (!CgroupDelegation.available()) {
            problems.put("systemd", "the host has no cgroup v2 hierarchy to give systemd jails a cgroup tree of their own");
        }
        String pool = config.ensurePool(storage);
        if (pool != null) {
            problems.put("jail", pool);
            return;
        }
        Optional<Path> busybox = BusyboxImageBuilder.findStaticBusybox();
        if (busybox.isEmpty()) {
            problems.put("image:busybox", "no static busybox on the host (install busybox-static)");
            return;
        }
        try {
            Path releaseTty = keeper.program().resolveSibling("release-tty");
            if (!Files.isExecutable(releaseTty)) {
                problems.put("image:busybox", "release-tty not found at " + releaseTty + " (build it: make -C src/main/c)");
                return;
            }
            new BusyboxImageBuilder(storage, busybox.get(), releaseTty).ensure(userNamespaces ? ID_BASE : -1);
        } catch (RuntimeException e) {
            problems.put("image:busybox", "cannot build the busybox image: " + e.getMessage());
        }
        startWarmPool();
    }

    /**
     * Gives jails whose dataset is a clone made ahead their dataset again (the jail's record names
     * its root, the clone's mountpoint), then offers the other clones found on the pool.
     */
    private void startWarmPool() {
        try {
            List<WarmClone> found = new ArrayList<>(storage.warmClones());
            Path warmRoot = storage.warmMountpointRoot();
            for (UUID id : jails.ids(false)) {
                String root = jails.record(id).datasetRoot();
                if (root == null || warmRoot == null || !warmRoot.equals(Path.of(root).getParent())) {
                    continue;
                }
                String name = Path.of(root).getFileName().toString();
                found.stream().filter(clone -> clone.dataset().endsWith("/" + name)).findFirst().ifPresent(clone -> {
                    storage.restoreAdopted(id, clone);
                    found.remove(clone);
                });
            }
            warmPool = new JailWarmPool(storage, config.warmClones(), idRanges(),
                    image -> imageIdBases.computeIfAbsent(image, storage::imageIdBase));
            warmPool.offerFound(found);
        } catch (RuntimeException e) {
            problems.put("warm-clones", "clones made ahead are not used: " + e.getMessage());
        }
    }

    /** Waits until the pool holds its clones of an image version (benchmarks and tests); false on timeout. */
    public boolean awaitWarmClones(String image, int version, Duration timeout) throws InterruptedException {
        return warmPool == null || warmPool.awaitReady(image, version, timeout);
    }

    /** The clones made ahead that are ready now. */
    public List<WarmClone> warmClones() {
        return warmPool == null ? List.of() : warmPool.readyClones();
    }

    @Override
    public void close() {
        if (warmPool != null) {
            warmPool.close();
        }
    }

    private static boolean userNamespacesAllowed() {
        try {
            return Long.parseLong(Files.readString(Path.of("/proc/sys/user/max_user_namespaces")).strip()) > 0;
        } catch (IOException | NumberFormatException e) {
            return false;
        }
    }

    public AgentConfig config() {
        return config;
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
        return jails.record(id).idBase();
    }

    /** The OCI runtime in use ("runc" or "crun"). */
    public String runtimeName() {
        return runtime.program();
    }

    // ---------------------------------------------------------------- InstanceDriver

    @Override
    public String kind() {
        return "jail";
    }

    @Override
    public HostFacts facts() {
        return facts(runtimes, problems);
    }

    @Override
    public boolean knows(UUID id) {
        return jails.knows(id);
    }

    @Override
    protected void checkSpec(InstanceSpec spec) {
        checkKindAndName(spec, problems.get("jail"));
        if (spec.vcpus() < 1 || spec.memoryMiB() < 16 || spec.diskGiB() < 1) {
            throw new IllegalArgumentException("jail needs at least 1 vCPU, 16 MiB of memory and 1 GiB of disk");
        }
    }

    /** A jail lives wholly in its dataset (its root); the host's directory of it is written again from the spec. */
    @Override
    protected void requireMovable() {
    }

    /**
     * Milliseconds per step of the jail's last start (with the provisioning that came just before
     * it, when there was one): what the driver logs at debug level; empty for a jail not started
     * since the agent started.
     */
    public Map<String, Double> lastStartSpans(UUID id) {
        StartSpans spans = startSpans.get(id);
        return spans == null ? Map.of() : spans.millis();
    }

    @Override
    protected void provisionLocked(InstanceSpec spec) {
        StartSpans spans = new StartSpans();
        provisionLocked(spec, spans);
        provisionSpans.put(spec.id(), spans);
        LOG.debugf("jail %s provisioned: %s", spec.id(), spans);
    }

    private void provisionLocked(InstanceSpec spec, StartSpans spans) {
        ImageReference image = ImageReference.parse(spec.image());
        int version = image.version().isPresent() ? image.version().getAsInt()
                : imageVersions.computeIfAbsent(image.name(), name -> imageVersion(image));
        int imageIdBase = imageIdBases.computeIfAbsent(image.name(), storage::imageIdBase);
        JailRecord record;
        // Not a dataset received from another host (mounted by the receive): asked of the mount
        // table, since a zfs call would cost what the clone made ahead saves.
        boolean fresh = !jails.knows(spec.id()) && !storage.instanceMounted(spec.id());
        Optional<JailWarmPool.Ready> warm = fresh && warmPool != null
                ? warmPool.take(spec.id(), image.name(), version, spec.diskGiB()) : Optional.empty();
        if (jails.knows(spec.id())) {
            record = jails.record(spec.id());
        } else if (warm.isPresent()) {
            // A clone made ahead, already in a range of its own: recording its range and root is
            // what makes it this jail's (a restarted agent finds it again from the record).
            record = new JailRecord(false, 0, warm.get().made().idBase(), JailInit.PLAIN, true,
                    warm.get().root().toString());
            jails.writeRecord(spec.id(), record);
            storage.adoptWarm(warm.get().made(), spec.id(), spec.diskGiB());
        } else {
            // The range is recorded before the clone exists, so a crash in between leaks nothing:
            // destroying the jail frees both.
            record = new JailRecord(false, 0, imageIdBase >= 0 ? idRanges().take() : -1, JailInit.PLAIN, false,
                    null);
            jails.writeRecord(spec.id(), record);
        }
        spans.lap("image and record");
        Path root;
        if (warm.isPresent()) {
            root = warm.get().root();
            spans.lap("clone made ahead");
        } else {
            root = storage.cloneInstance(spec.id(), image.name(), version, spec.diskGiB());
            spans.lap("zfs clone");
        }
        if (!record.idsShifted() && imageIdBase >= 0 && record.idBase() >= 0) {
            // From the range the root is in: the image's for a fresh clone, another jail's for a
            // dataset made elsewhere (received from another host, or a move that was interrupted).
            int current = IdShift.rangeOf(root);
            IdShift.reshift(root, current >= 0 ? current : imageIdBase, record.idBase());
            record = record.withIdsShifted();
            jails.writeRecord(spec.id(), record);
            spans.lap("id shift");
        }
        JailInit init = JailInit.of(root);
        if (init != record.init() || !root.toString().equals(record.datasetRoot())) {
            record = record.withInit(init).withDatasetRoot(root);
            jails.writeRecord(spec.id(), record);
        }
        jails.writeSpec(spec);
        OciBundle.JailSetup setup = new OciBundle.JailSetup(init, resolvConf(spec),
                init == JailInit.SYSTEMD ? networkConfig(spec) : null, lxcfs,
                CpuPinning.cpusFor(spec.id(), spec.vcpus()),
                imageAllowances.computeIfAbsent(image.name() + "@v" + version, key -> imageAllowances(image.name())));
        OciBundle.write(jails.of(spec.id()), OciBundle.config(spec, JailRootGate.path(jails.of(spec.id())),
                cgroupsPath(spec.id()), config.pidsLimit(), record.idBase(), setup));
        spans.lap("bundle");
    }

    /** The jail id ranges of this host, read from the jails' records the first time they are needed. */
    private synchronized JailIdRanges idRanges() {
        if (idRanges == null) {
            List<Integer> inUse = new ArrayList<>();
            for (UUID id : jails.ids(false)) {
                int base = jails.record(id).idBase();
                if (JailIdRanges.isJailRange(base)) {
                    inUse.add(base);
                }
            }
            idRanges = new JailIdRanges(inUse);
        }
        return idRanges;
    }

    /** What an admin allowed the jails of an image beyond the default seccomp profile (ZFS user properties). */
    private Set<SeccompProfile.Allowance> imageAllowances(String image) {
        Set<SeccompProfile.Allowance> allowances = EnumSet.noneOf(SeccompProfile.Allowance.class);
        Map<String, String> values = storage.properties(storage.imageDataset(image),
                Arrays.stream(SeccompProfile.Allowance.values()).map(SeccompProfile.Allowance::imageProperty).toList());
        for (SeccompProfile.Allowance allowance : SeccompProfile.Allowance.values()) {
            if ("on".equals(values.get(allowance.imageProperty()))) {
                allowances.add(allowance);
            }
        }
        return allowances;
    }

    /**
     * Writes a systemd jail's network configuration for systemd-networkd (its address and gateway
     * on eth0), or returns null for a jail with no network.
     */
    private Path networkConfig(InstanceSpec spec) {
        InstanceSpec.NetworkAttachment network = spec.network();
        if (network == null || network.address() == null) {
            return null;
        }
        StringBuilder text = new StringBuilder("# the address the host gave this jail (managed by the host)\n")
                .append("[Match]\nName=eth0\n\n[Network]\n")
                .append("Address=").append(network.address()).append('/').append(network.prefixLength()).append('\n');
        if (network.gateway() != null && !network.gateway().isBlank()) {
            text.append("Gateway=").append(network.gateway()).append('\n');
        }
        text.append("LinkLocalAddressing=no\nIPv6AcceptRA=no\n");
        Path file = jails.of(spec.id()).resolve("network.conf");
        InstanceDirectories.writeText(file, text.toString());
        return file;
    }

    @Override
    protected InstanceStatus startLocked(InstanceSpec spec) {
        if (warmPool == null) {
            return startJail(spec);
        }
        // The pool makes no clone while a jail starts (it would take the CPU the start needs).
        warmPool.starting(spec.id());
        try {
            return startJail(spec);
        } finally {
            warmPool.started(spec.id());
        }
    }

    private InstanceStatus startJail(InstanceSpec spec) {
        StartSpans provisioned = provisionSpans.remove(spec.id());
        // With the provisioning that came just before, when there was one (the API's create).
        StartSpans spans = provisioned == null ? new StartSpans() : provisioned.resume();
        // No runtime call for a jail the runtime has no state of (every first start).
        Optional<ContainerState> state = runtime.exists(spec.id().toString()) ? runtime.state(spec.id().toString())
                : Optional.empty();
        if (state.isPresent() && state.get().running()) {
            return statusLocked(spec.id());
        }
        if (state.isPresent()) {
            runtime.delete(spec.id().toString());
        }
        spans.lap("runtime state");
        if (!isProvisioned(spec)) {
            provisionLocked(spec, spans);
        }
        Path directory = jails.of(spec.id());
        Path consoleSocket = socketDirectory().resolve(spec.id() + ".rt");
        Path serveSocket = consoleSocket(spec.id());
        JailRecord previous = jails.record(spec.id());
        if (ConsoleKeeper.alive(previous.keeperPid())) {
            ConsoleKeeper.stop(previous.keeperPid());
        }
        if (Files.exists(serveSocket) || Files.exists(consoleSocket)) {
            // A keeper whose start was interrupted holds them (a scan of every process, so only then).
            ConsoleKeeper.stopStrays(serveSocket);
        }
        jails.writeRecord(spec.id(), previous.withRun(true, 0));
        spans.lap("records");
        long keeperPid = 0;
        CompletableFuture<Long> networkReady = null;
        try {
            // The tenant network (bridge, DNS, lease, rules) is made ready while the root gate opens
            // and the runtime creates the jail; the keeper makes the jail's veth pair once both are
            // done, then the init runs.
            networkReady = CompletableFuture.supplyAsync(() -> {
                long began = System.nanoTime();
                network.describe(spec);
                network.prepare(spec.id(), spec.name(), spec.network());
                return System.nanoTime() - began;
            }, task -> Thread.ofPlatform().daemon().name("jail-network-" + spec.id()).start(task));
            Optional<JailRootGate.Bind> gate = JailRootGate.prepare(directory, Path.of(previous.datasetRoot()),
                    previous.idBase());
            ExitStatus.clear(directory);
            spans.lap("root gate directory");
            CompletableFuture<Long> ready = networkReady;
            long[] networkNanos = {0};
            ConsoleKeeper.JailLink link = spec.network() == null ? null
                    : new ConsoleKeeper.JailLink(HostNetwork.hostInterface(spec.id()),
                            network.tenantBridge(spec.network().tenantNetwork()), HostNetwork.mac(spec.id()),
                            () -> networkNanos[0] = awaitNetwork(ready));
            keeperPid = keeper.start(consoleSocket, serveSocket, controlSocket(spec.id()),
                    directory.resolve(ExitStatus.FILE), directory.resolve("init.pid"), directory.resolve("console.log"),
                    gate.orElse(null), link,
                    runtime.createCommand(spec.id().toString(), directory, consoleSocket, directory.resolve("init.pid")));
            if (link == null) {
                networkNanos[0] = awaitNetwork(ready);
            }
            spans.lap("keeper: root gate's bind, runtime create, veth pair");
            spans.add("network rules and DNS (beside)", networkNanos[0]);
            if (previous.init() == JailInit.SYSTEMD) {
                CgroupDelegation.delegate(cgroupsPath(spec.id()), Math.max(0, previous.idBase()));
            }
            runtime.start(spec.id().toString());
            spans.lap("runtime start");
        } catch (RuntimeException e) {
            if (networkReady != null) {
                try {
                    networkReady.join();
                } catch (RuntimeException ignored) {
                    // the start fails for the first reason
                }
            }
            jails.writeRecord(spec.id(), previous.withRun(false, 0));
            runtime.delete(spec.id().toString());
            network.detach(spec.id());
            waitForKeeper(keeperPid);
            JailRootGate.close(directory);
            throw e;
        }
        jails.writeRecord(spec.id(), previous.withRun(true, keeperPid));
        long pid = Processes.readPidFile(directory.resolve("init.pid"));
        spans.lap("records");
        startSpans.put(spec.id(), spans);
        LOG.debugf("jail %s started: %s", spec.id(), spans);
        if (Processes.alive(pid)) {
            return new InstanceStatus(spec.id(), State.RUNNING, pid, null);
        }
        return statusLocked(spec.id());
    }

    /** Waits for the network made ready beside the runtime's create; returns how long that took (ns). */
    private static long awaitNetwork(CompletableFuture<Long> ready) {
        try {
            return ready.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw e;
        }
    }

    /** Writes the jail's resolv.conf (its network's gateway resolves), or returns null for a jail with no network. */
    private Path resolvConf(InstanceSpec spec) {
        if (spec.network() == null || spec.network().gateway() == null || spec.network().gateway().isBlank()) {
            return null;
        }
        StringBuilder text = new StringBuilder("# the tenant network's resolver (managed by the host)\n")
                .append("nameserver ").append(spec.network().gateway()).append('\n');
        if (spec.network().domain() != null) {
            text.append("search ").append(spec.network().domain()).append('\n');
        }
        Path file = jails.of(spec.id()).resolve("resolv.conf");
        InstanceDirectories.writeText(file, text.toString());
        return file;
    }

    /**
     * Whether the jail is provisioned for exactly this spec (so starting it needs no more); a jail
     * provisioned before its root was reached through {@link JailRootGate} is provisioned again.
     */
    private boolean isProvisioned(InstanceSpec spec) {
        return Files.exists(jails.of(spec.id()).resolve("config.json"))
                && jails.spec(spec.id()).filter(spec::equals).isPresent()
                && jails.record(spec.id()).datasetRoot() != null;
    }

    @Override
    protected void stopLocked(UUID instanceId, Duration timeout) {
        String id = instanceId.toString();
        if (jails.knows(instanceId)) {
            JailRecord record = jails.record(instanceId);
            jails.writeRecord(instanceId, record.withRun(false, record.keeperPid()));
        }
        Optional<ContainerState> state = runtime.state(id);
        if (state.isEmpty()) {
            JailRootGate.close(jails.of(instanceId));
            return;
        }
        if (state.get().running() && state.get().pid() > 0) {
            long pid = state.get().pid();
            if (!timeout.isZero()) {
                runtime.kill(id, jails.record(instanceId).init().stopSignal(), false);
                Processes.waitForExit(pid, timeout);
            }
            if (Processes.alive(pid)) {
                runtime.kill(id, "KILL", true);
                Processes.waitForExit(pid, Duration.ofSeconds(10));
            }
        }
        runtime.delete(id);
        network.detach(instanceId);
        waitForKeeper(jails.record(instanceId).keeperPid());
        JailRootGate.close(jails.of(instanceId));
    }

    @Override
    protected void destroyLocked(UUID instanceId) {
        stopLocked(instanceId, Duration.ZERO);
        runtime.delete(instanceId.toString());
        if (jails.knows(instanceId)) {
            ConsoleKeeper.stop(jails.record(instanceId).keeperPid());
        }
        network.detach(instanceId);
        network.leave(instanceId);
        JailRootGate.close(jails.of(instanceId));
        storage.destroyInstance(instanceId);
        int idBase = jails.knows(instanceId) ? jails.record(instanceId).idBase() : -1;
        jails.delete(instanceId);
        provisionSpans.remove(instanceId);
        if (warmPool != null) {
            warmPool.started(instanceId);
        }
        startSpans.remove(instanceId);
        if (JailIdRanges.isJailRange(idBase)) {
            idRanges().release(idBase);
        }
        try {
            Files.deleteIfExists(consoleSocket(instanceId));
            Files.deleteIfExists(socketDirectory().resolve(instanceId + ".rt"));
            Files.deleteIfExists(controlSocket(instanceId));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    protected InstanceStatus statusLocked(UUID instanceId) {
        return statusOf(instanceId, runtime.state(instanceId.toString()).orElse(null));
    }

    private InstanceStatus statusOf(UUID instanceId, ContainerState state) {
        boolean known = jails.knows(instanceId);
        if (!known && state == null) {
            return InstanceStatus.absent(instanceId);
        }
        if (state != null && state.running() && Processes.alive(state.pid())) {
            return new InstanceStatus(instanceId, State.RUNNING, state.pid(),
                    "running".equals(state.status()) ? null : state.status());
        }
        if (known && jails.record(instanceId).shouldRun()) {
            Optional<ExitStatus> exit = ExitStatus.read(jails.of(instanceId));
            if (exit.isPresent()) {
                return new InstanceStatus(instanceId, exit.get().stoppedFromInside() ? State.STOPPED : State.CRASHED, 0,
                        exit.get().describe());
            }
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
        Set<String> seen = new HashSet<>();
        for (UUID id : jails.ids(false)) {
            seen.add(id.toString());
            statuses.add(statusOf(id, states.get(id.toString())));
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

    /** Applies the new size at once: the dataset's quota, the bundle, and a running jail's cgroup limits. */
    @Override
    protected void resizeLocked(InstanceSpec spec) {
        storage.setQuota(spec.id(), spec.diskGiB());
        provisionLocked(spec);
        Optional<ContainerState> state = runtime.state(spec.id().toString());
        if (state.isPresent() && state.get().running()) {
            Path resources = jails.of(spec.id()).resolve("resources.json");
            Map<String, Object> limits = new LinkedHashMap<>(
                    OciBundle.resources(spec.vcpus(), spec.memoryMiB(), config.pidsLimit(),
                            CpuPinning.cpusFor(spec.id(), spec.vcpus())));
            limits.remove("devices");
            InstanceDirectories.writeJson(resources, limits);
            runtime.update(spec.id().toString(), resources);
        }
    }

    @Override
    public InstanceUsage usage(UUID instanceId) {
        DatasetUsage disk = storage.usage(instanceId);
        // The host end of the veth pair sends what the jail receives, and the reverse.
        long received = network.hostInterfaceCounter(instanceId, "tx_bytes");
        long sent = network.hostInterfaceCounter(instanceId, "rx_bytes");
        return new InstanceUsage(disk.usedBytes(), disk.referencedBytes(), disk.snapshotBytes(), disk.compressRatio(),
                CgroupReadings.memoryBytes(instanceId), CgroupReadings.cpuNanos(instanceId), received, sent,
                network.tenants().egressBytes(instanceId));
    }

    @Override
    public ConsoleConnection openConsole(UUID instanceId) throws IOException {
        return ConsoleConnection.open(consoleSocket(instanceId), controlSocket(instanceId));
    }

    /** Runs a command inside a running jail (without a terminal) and returns what it printed. */
    public Result exec(UUID instanceId, String... command) {
        return runtime.exec(instanceId.toString(), command);
    }

    // ---------------------------------------------------------------- paths

    /** The jail's cgroup (relative to each hierarchy's root). */
    public static String cgroupsPath(UUID id) {
        return CgroupReadings.path(id);
    }

    public Path jailDirectory(UUID id) {
        return jails.of(id);
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

    private static void waitForKeeper(long pid) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (ConsoleKeeper.alive(pid) && System.nanoTime() < deadline) {
            Processes.sleep(10);
        }
        if (ConsoleKeeper.alive(pid)) {
            ConsoleKeeper.stop(pid);
        }
    }
}

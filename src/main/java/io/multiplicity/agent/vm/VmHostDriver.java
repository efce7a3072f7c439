package io.multiplicity.agent.vm;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.multiplicity.agent.AgentConfig;
import io.multiplicity.agent.Command;
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
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * The host agent's driver for virtual machines: one monitor process per VM ({@link MvmHypervisor}
 * or {@link QemuHypervisor}, chosen per VM by {@link DriverChoice}), its disk a sparse raw file in
 * its ZFS dataset (a clone of its image), its network a tap on the tenant's bridge
 * ({@link TapDevice}).
 *
 * <p>Monitors run in their own session and outlive the agent. What the agent knows of a VM lives
 * on disk under {@code <data>/vms/<id>/} (its spec, whether it should run, its monitor's pid and
 * hypervisor); its sockets are {@code <data>/run/vm/<id>.serial|.vnc|.control}. A new driver over
 * the same data directory therefore adopts running monitors (a pid whose command line names the
 * VM) instead of starting them again.
 *
 * <p>A monitor that dies while its VM should run makes the VM {@link State#CRASHED}. A watcher
 * notices within half a second; with the {@code on-crash} restart policy it starts the VM again.
 */
public final class VmHostDriver implements HostDriver, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(VmHostDriver.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long GIB = 1L << 30;
    /** Room in a VM's dataset beside its disk: kernel, initrd, logs. */
    private static final long DATASET_HEADROOM = 256L << 20;
    private static final Duration RESTART_DELAY = Duration.ofSeconds(1);
    /** The restart policy gives up on a VM that crashed this often within {@link #RESTART_WINDOW}. */
    private static final int RESTART_LIMIT = 5;
    private static final Duration RESTART_WINDOW = Duration.ofMinutes(5);

    /**
     * What the agent records of a VM beside its spec.
     *
     * @param shouldRun  started and not asked to stop since
     * @param hypervisor the hypervisor it last ran on
     * @param accel      {@code kvm} or {@code tcg}
     * @param pid        its monitor, 0 when none was started
     * @param restarts   how often the restart policy started it again
     * @param graceful   its guest powers off when asked (its image says so); else a stop forces it
     */
    record VmRecord(boolean shouldRun, String hypervisor, String accel, long pid, int restarts, boolean graceful) {

        VmRecord withRun(boolean run) {
            return new VmRecord(run, hypervisor, accel, pid, restarts, graceful);
        }

        VmRecord withPid(boolean run, long monitor) {
            return new VmRecord(run, hypervisor, accel, monitor, restarts, graceful);
        }
    }

    private final AgentConfig agent;
    private final VmConfig config;
    private final ZfsStorage storage;
    private final HostNetwork network;
    private final MvmHypervisor mvm;
    private final QemuHypervisor qemu;
    private final List<Hypervisor> hypervisors;
    private final Map<String, String> problems = new LinkedHashMap<>();
    private final Map<UUID, Object> locks = new ConcurrentHashMap<>();
    private final Set<UUID> watched = ConcurrentHashMap.newKeySet();
    private final Map<UUID, java.util.Deque<Long>> recentRestarts = new ConcurrentHashMap<>();
    private final ScheduledExecutorService watcher;
    private volatile String restartPolicy;

    /**
     * @param agent   the agent's configuration (data directory, pool, bridge)
     * @param config  the VM settings
     * @param storage the host's ZFS storage (shared with jails)
     * @param network the host's tenant networks (shared with jails)
     */
    public VmHostDriver(AgentConfig agent, VmConfig config, ZfsStorage storage, HostNetwork network) {
        this.agent = agent;
        this.config = config;
        this.storage = storage;
        this.network = network;
        this.mvm = new MvmHypervisor(MvmHypervisor.locate(config.mvm()));
        this.qemu = new QemuHypervisor(config.qemu(), config.qemuAccel());
        this.hypervisors = List.of(mvm, qemu);
        this.restartPolicy = config.restartPolicy();
        this.watcher = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "vm-watcher");
            thread.setDaemon(true);
            return thread;
        });
        prepareHost();
        adopt();
        watcher.scheduleWithFixedDelay(this::watch, 500, 500, TimeUnit.MILLISECONDS);
    }

    private void prepareHost() {
        try {
            Files.createDirectories(vmsDirectory());
            Files.createDirectories(socketDirectory());
        } catch (IOException e) {
            problems.put("vm", "cannot create " + vmsDirectory() + ": " + e.getMessage());
            return;
        }
        if (socketDirectory().toString().length() + 46 > 107) {
            problems.put("vm", "data directory path too long for unix sockets: " + agent.dataDirectory());
            return;
        }
        for (Hypervisor hypervisor : hypervisors) {
            if (hypervisor.problem() != null) {
                problems.put("vm:" + hypervisor.name(), hypervisor.problem());
            }
        }
        if (hypervisors.stream().allMatch(hypervisor -> hypervisor.problem() != null)) {
            problems.put("vm", "no hypervisor usable: " + problems);
            return;
        }
        try {
            storage.ensurePool(agent.resolvedPoolFile(), agent.poolSizeGiB(), agent.poolMountpoint(),
                    agent.dataDirectory().resolve("run").resolve("zfs-fuse.pid"));
        } catch (RuntimeException e) {
            problems.put("vm", "ZFS not usable: " + e.getMessage());
            return;
        }
        VmImageBuilder images = new VmImageBuilder(storage);
        if (mvm.problem() == null) {
            try {
                images.ensureMvmTest(mvm.testGuest("idle"));
            } catch (RuntimeException e) {
                problems.put("image:" + VmImageBuilder.MVM_TEST, e.getMessage());
            }
        }
        if (Files.isRegularFile(imageSource().resolve("kernel"))) {
            ensureBuiltInImage(VmImageBuilder.TINY_LINUX);
        }
    }

    /**
     * Builds a built-in image that is missing: tiny-linux from its kernel and initrd (made by
     * {@code scripts/build-vm-image.sh} from Debian packages first, when they are not there yet),
     * mvm-test from vmm-native's test guest. Other images are left to the catalog.
     */
    private void ensureBuiltInImage(String image) {
        synchronized (problems) {
            if (storage.imageVersionExists(image, VmImageBuilder.VERSION)) {
                return;
            }
            VmImageBuilder images = new VmImageBuilder(storage);
            try {
                if (image.equals(VmImageBuilder.TINY_LINUX)) {
                    images.ensureTinyLinux(imageSource(), Path.of("scripts", "build-vm-image.sh").toAbsolutePath());
                } else if (image.equals(VmImageBuilder.MVM_TEST)) {
                    images.ensureMvmTest(mvm.testGuest("idle"));
                }
                problems.remove("image:" + image);
            } catch (RuntimeException e) {
                problems.put("image:" + image, e.getMessage());
                throw e;
            }
        }
    }

    private Path imageSource() {
        return config.imageSource() != null ? config.imageSource().toAbsolutePath()
                : agent.dataDirectory().resolve("vm-images").resolve(VmImageBuilder.TINY_LINUX);
    }

    /** Watches every VM that should run: monitors found running are adopted, dead ones are crashes. */
    private void adopt() {
        for (UUID id : knownIds()) {
            VmRecord record = readRecord(id);
            if (record.shouldRun()) {
                watched.add(id);
                if (monitorAlive(id, record.pid())) {
                    LOG.infof("adopted VM %s: %s monitor pid %d", id, record.hypervisor(), record.pid());
                }
            }
        }
    }

    // ---------------------------------------------------------------- settings and accessors

    /** {@code never} or {@code on-crash}; changes apply to crashes noticed from now on. */
    public void restartPolicy(String policy) {
        if (!List.of("never", "on-crash").contains(policy)) {
            throw new IllegalArgumentException("restart policy must be never or on-crash: " + policy);
        }
        this.restartPolicy = policy;
    }

    public ZfsStorage storage() {
        return storage;
    }

    public HostNetwork network() {
        return network;
    }

    public List<Hypervisor> hypervisors() {
        return hypervisors;
    }

    /** Whether this driver has a record of the instance (so it is a VM of this host). */
    public boolean knows(UUID id) {
        return Files.exists(vmDirectory(id).resolve("state.json"));
    }

    /** The hypervisor the VM last ran on (or was provisioned for). */
    public String hypervisorOf(UUID id) {
        return readRecord(id).hypervisor();
    }

    /** How often the restart policy started the VM again. */
    public int restartsOf(UUID id) {
        return readRecord(id).restarts();
    }

    public Path serialSocket(UUID id) {
        return socketDirectory().resolve(id + ".serial");
    }

    public Path vncSocket(UUID id) {
        return socketDirectory().resolve(id + ".vnc");
    }

    public Path controlSocket(UUID id) {
        return socketDirectory().resolve(id + ".control");
    }

    public Path vmDirectory(UUID id) {
        return vmsDirectory().resolve(id.toString());
    }

    // ---------------------------------------------------------------- HostDriver

    @Override
    public HostFacts facts() {
        Map<String, String> runtimes = new LinkedHashMap<>();
        for (Hypervisor hypervisor : hypervisors) {
            if (hypervisor.problem() == null) {
                runtimes.put(hypervisor.name(), hypervisor.version());
                runtimes.put(hypervisor.name() + ".capabilities", describe(hypervisor.capabilities()));
            }
        }
        if (qemu.problem() == null) {
            runtimes.put("qemu.accel", qemu.accelSummary());
        }
        runtimes.put("vm.restart-policy", restartPolicy);
        long storageGiB = 0;
        if (!problems.containsKey("vm")) {
            try {
                storageGiB = storage.poolSpace()[0] >> 30;
            } catch (RuntimeException e) {
                storageGiB = 0;
            }
        }
        return new HostFacts(MachineFacts.hostname(), MachineFacts.cpus(), MachineFacts.memoryMiB(), storageGiB,
                problems.containsKey("vm") ? Set.of() : Set.of("vm"), Map.copyOf(runtimes), Map.copyOf(problems));
    }

    private static String describe(Hypervisor.Capabilities capabilities) {
        List<String> can = new ArrayList<>();
        if (capabilities.directKernelBoot()) {
            can.add("kernel-boot");
        }
        if (capabilities.firmware()) {
            can.add("firmware");
        }
        if (capabilities.graphics()) {
            can.add("graphics");
        }
        if (capabilities.hardwareAccel()) {
            can.add("kvm");
        }
        if (capabilities.softwareEmulation()) {
            can.add("tcg");
        }
        return String.join(",", can);
    }

    @Override
    public InstanceStatus provision(InstanceSpec spec) {
        checkSpec(spec);
        synchronized (lock(spec.id())) {
            provisionLocked(spec);
            return statusLocked(spec.id());
        }
    }

    private Path provisionLocked(InstanceSpec spec) {
        String image = imageName(spec.image());
        if (!storage.exists(storage.instanceDataset(spec.id()))) {
            ensureBuiltInImage(image);
        }
        Path root = storage.cloneInstance(spec.id(), image, imageVersion(spec.image()), spec.diskGiB());
        if (!VmImage.isVmImage(root)) {
            storage.destroyInstance(spec.id());
            throw new IllegalArgumentException("image " + image + " is not a VM image");
        }
        Hypervisor hypervisor = choose(spec, root);
        VmImage needs = VmImage.read(root);
        VmRecord previous = knows(spec.id()) ? readRecord(spec.id()) : new VmRecord(false, null, null, 0, 0, false);
        growDisk(spec, root);
        writeJson(vmDirectory(spec.id()).resolve("spec.json"), spec);
        writeRecord(spec.id(), new VmRecord(previous.shouldRun(), hypervisor.name(),
                hypervisor == qemu ? qemu.accelFor(needs) : "kvm", previous.pid(), previous.restarts(),
                needs.powersOff()));
        return root;
    }

    private Hypervisor choose(InstanceSpec spec, Path root) {
        return DriverChoice.choose(imageName(spec.image()), VmImage.read(root), hypervisors, config.hostDriver(),
                config.imageDrivers());
    }

    /** Grows the disk file to the spec's size (never shrinks it) and sets the dataset's quota. */
    private void growDisk(InstanceSpec spec, Path root) {
        Path disk = root.resolve("disk.raw");
        long size = spec.diskGiB() * GIB;
        try (RandomAccessFile file = new RandomAccessFile(disk.toFile(), "rw")) {
            if (file.length() > size) {
                throw new IllegalArgumentException("disk is " + (file.length() >> 20) + " MiB; it cannot shrink to "
                        + spec.diskGiB() + " GiB");
            }
            file.setLength(size);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Command.run("zfs", "set", "quota=" + (size + DATASET_HEADROOM), storage.instanceDataset(spec.id())).check();
    }

    @Override
    public InstanceStatus start(InstanceSpec spec) {
        checkSpec(spec);
        synchronized (lock(spec.id())) {
            return startLocked(spec);
        }
    }

    private InstanceStatus startLocked(InstanceSpec spec) {
        UUID id = spec.id();
        if (knows(id) && monitorAlive(id, readRecord(id).pid())) {
            return statusLocked(id);
        }
        Path root = provisionLocked(spec);
        VmRecord record = readRecord(id);
        Hypervisor hypervisor = record.hypervisor().equals(mvm.name()) ? mvm : qemu;
        VmImage image = VmImage.read(root);
        Path directory = vmDirectory(id);
        String tap = null;
        if (spec.network() != null) {
            tap = TapDevice.attach(network, id, spec.network());
        }
        Hypervisor.Launch launch = launch(spec, image, root, tap, record.accel());
        clearSockets(id);
        rotate(launch.consoleLog());
        rotate(directory.resolve("monitor.log"));
        writeRecord(id, record.withPid(true, 0));
        long pid;
        try {
            pid = launchMonitor(hypervisor, launch, directory.resolve("monitor.log"));
        } catch (RuntimeException e) {
            writeRecord(id, record.withPid(false, 0));
            TapDevice.detach(id);
            throw e;
        }
        writeRecord(id, record.withPid(true, pid));
        watched.add(id);
        LOG.infof("VM %s (%s) started on %s/%s, monitor pid %d", spec.name(), id, hypervisor.name(), record.accel(),
                pid);
        return statusLocked(id);
    }

    private Hypervisor.Launch launch(InstanceSpec spec, VmImage image, Path root, String tap, String accel) {
        UUID id = spec.id();
        StringBuilder cmdline = new StringBuilder(image.cmdline() == null ? "" : image.cmdline());
        cmdline.append(" mp.hostname=").append(spec.name()).append(" mp.id=").append(id);
        if (spec.network() != null) {
            cmdline.append(" mp.ip=").append(spec.network().address()).append('/')
                    .append(spec.network().prefixLength());
            if (spec.network().gateway() != null && !spec.network().gateway().isBlank()) {
                cmdline.append(" mp.gw=").append(spec.network().gateway());
            }
        }
        Path initrd = root.resolve("initrd");
        return new Hypervisor.Launch(id.toString(), spec.name(), spec.vcpus(), spec.memoryMiB(),
                image.directKernelBoot() ? root.resolve("kernel") : null,
                image.directKernelBoot() && Files.isRegularFile(initrd) ? initrd : null,
                cmdline.toString().strip(), root.resolve("disk.raw"), tap, TapDevice.mac(id),
                serialSocket(id), vncSocket(id), controlSocket(id), vmDirectory(id).resolve("console.log"),
                vmDirectory(id).resolve("monitor.pid"), accel);
    }

    /**
     * Starts the monitor in a session of its own (so it outlives the agent) and waits until its
     * sockets are there. Returns its pid.
     */
    private long launchMonitor(Hypervisor hypervisor, Hypervisor.Launch launch, Path log) {
        List<String> command = new ArrayList<>(hypervisor.command(launch));
        if (!hypervisor.detaches()) {
            command.add(0, "setsid");
        }
        try {
            Files.deleteIfExists(launch.pidFile());
            Files.writeString(log, "---- " + java.time.Instant.now() + " " + String.join(" ", command) + "\n",
                    StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
            Process process = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectErrorStream(true)
                    .start();
            long pid;
            if (hypervisor.detaches()) {
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new IllegalStateException(hypervisor.name() + " did not detach within 60 s: " + tail(log));
                }
                if (process.exitValue() != 0) {
                    throw new IllegalStateException(hypervisor.name() + " failed (exit " + process.exitValue() + "): "
                            + tail(log));
                }
                pid = readPid(launch.pidFile());
            } else {
                pid = process.pid();
                Files.writeString(launch.pidFile(), pid + "\n");
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!(Files.exists(launch.serialSocket()) && Files.exists(launch.controlSocket()))) {
                if (!processAlive(pid)) {
                    throw new IllegalStateException(hypervisor.name() + " exited at start: " + tail(log));
                }
                if (System.nanoTime() > deadline) {
                    kill(pid);
                    throw new IllegalStateException(hypervisor.name() + " made no sockets within 10 s: " + tail(log));
                }
                sleep(20);
            }
            return pid;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public InstanceStatus stop(UUID instanceId, Duration timeout) {
        synchronized (lock(instanceId)) {
            stopLocked(instanceId, timeout);
            return statusLocked(instanceId);
        }
    }

    private void stopLocked(UUID id, Duration timeout) {
        if (!knows(id)) {
            return;
        }
        VmRecord record = readRecord(id);
        writeRecord(id, record.withRun(false));
        long pid = record.pid();
        if (monitorAlive(id, pid)) {
            if (!timeout.isZero() && record.graceful()) {
                Hypervisor hypervisor = mvm.name().equals(record.hypervisor()) ? mvm : qemu;
                hypervisor.requestShutdown(controlOnly(id), timeout);
                waitForExit(pid, timeout.plusSeconds(1));
            }
            if (processAlive(pid)) {
                kill(pid);
            }
        }
        watched.remove(id);
        TapDevice.detach(id);
        clearSockets(id);
    }

    /** What a running monitor's control calls need of its launch: its sockets. */
    private Hypervisor.Launch controlOnly(UUID id) {
        return new Hypervisor.Launch(id.toString(), "", 0, 0, null, null, "", null, null, null, serialSocket(id),
                vncSocket(id), controlSocket(id), null, null, null);
    }

    /** SIGTERM, then SIGKILL if the monitor is still there after three seconds. */
    private static void kill(long pid) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
        waitForExit(pid, Duration.ofSeconds(3));
        if (processAlive(pid)) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            waitForExit(pid, Duration.ofSeconds(5));
        }
    }

    @Override
    public InstanceStatus restart(InstanceSpec spec, Duration timeout) {
        synchronized (lock(spec.id())) {
            stopLocked(spec.id(), timeout);
            return startLocked(spec);
        }
    }

    @Override
    public void destroy(UUID instanceId) {
        synchronized (lock(instanceId)) {
            stopLocked(instanceId, Duration.ZERO);
            watched.remove(instanceId);
            TapDevice.detach(instanceId);
            storage.destroyInstance(instanceId);
            deleteTree(vmDirectory(instanceId));
            clearSockets(instanceId);
        }
        locks.remove(instanceId);
        recentRestarts.remove(instanceId);
    }

    @Override
    public InstanceStatus status(UUID instanceId) {
        synchronized (lock(instanceId)) {
            return statusLocked(instanceId);
        }
    }

    private InstanceStatus statusLocked(UUID id) {
        if (!knows(id)) {
            return InstanceStatus.absent(id);
        }
        VmRecord record = readRecord(id);
        if (monitorAlive(id, record.pid())) {
            return new InstanceStatus(id, State.RUNNING, record.pid(), record.hypervisor() + "/" + record.accel());
        }
        if (record.shouldRun()) {
            String last = tail(vmDirectory(id).resolve("monitor.log"));
            return new InstanceStatus(id, State.CRASHED, 0, "the " + record.hypervisor() + " monitor (pid "
                    + record.pid() + ") exited without being asked to stop"
                    + (last.isBlank() ? "" : ": " + last.substring(Math.max(0, last.length() - 200))));
        }
        return new InstanceStatus(id, State.STOPPED, 0, null);
    }

    @Override
    public List<InstanceStatus> list() {
        List<InstanceStatus> statuses = new ArrayList<>();
        for (UUID id : knownIds()) {
            statuses.add(status(id));
        }
        return statuses;
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
                return startLocked(spec);
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

    /**
     * Records the new vCPUs and memory (a running VM gets them at its next start) and grows the
     * disk file and the dataset's quota now; a running QEMU guest sees the larger disk at once.
     */
    @Override
    public InstanceStatus resize(InstanceSpec spec) {
        checkSpec(spec);
        synchronized (lock(spec.id())) {
            requireKnown(spec.id());
            Path root = storage.instanceMountpoint(spec.id());
            growDisk(spec, root);
            writeJson(vmDirectory(spec.id()).resolve("spec.json"), spec);
            VmRecord record = readRecord(spec.id());
            if (monitorAlive(spec.id(), record.pid())) {
                Hypervisor hypervisor = mvm.name().equals(record.hypervisor()) ? mvm : qemu;
                if (!hypervisor.diskGrew(controlOnly(spec.id()), spec.diskGiB() * GIB)) {
                    LOG.infof("VM %s sees its %d GiB disk at its next start", spec.id(), spec.diskGiB());
                }
            }
            return statusLocked(spec.id());
        }
    }

    @Override
    public Usage usage(UUID instanceId) {
        DatasetUsage disk = storage.usage(instanceId);
        VmRecord record = readRecord(instanceId);
        long memory = 0;
        long cpu = 0;
        if (monitorAlive(instanceId, record.pid())) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc", Long.toString(record.pid()), "status"))) {
                    if (line.startsWith("VmRSS:")) {
                        memory = Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                    }
                }
                String stat = Files.readString(Path.of("/proc", Long.toString(record.pid()), "stat"));
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                cpu = (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10_000_000L;
            } catch (IOException | RuntimeException e) {
                // the monitor just exited
            }
        }
        // The host end of the tap receives what the guest sends and sends what the guest receives.
        long guestReceived = tapCounter(instanceId, "tx_bytes");
        long guestSent = tapCounter(instanceId, "rx_bytes");
        return new Usage(disk.usedBytes(), disk.referencedBytes(), disk.snapshotBytes(), disk.compressRatio(),
                memory, cpu, guestReceived, guestSent);
    }

    private static long tapCounter(UUID instanceId, String counter) {
        try {
            return Long.parseLong(Files.readString(Path.of("/sys/class/net", TapDevice.name(instanceId), "statistics",
                    counter)).strip());
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** The serial console: QEMU's (after the recent output from its log) or mvm's (which replays it). */
    @Override
    public ConsoleStream openConsole(UUID instanceId) throws IOException {
        requireKnown(instanceId);
        boolean replayLog = !mvm.name().equals(readRecord(instanceId).hypervisor());
        return VmConsole.open(serialSocket(instanceId), replayLog ? vmDirectory(instanceId).resolve("console.log")
                : null);
    }

    /** The VNC (RFB) server of the VM's framebuffer. */
    @Override
    public ConsoleStream openGraphics(UUID instanceId) throws IOException {
        requireKnown(instanceId);
        return VmConsole.open(vncSocket(instanceId), null);
    }

    @Override
    public void close() {
        watcher.shutdownNow();
    }

    // ---------------------------------------------------------------- crash watch

    private void watch() {
        for (UUID id : List.copyOf(watched)) {
            try {
                watchOne(id);
            } catch (RuntimeException e) {
                LOG.warnf("watching VM %s: %s", id, e.getMessage());
            }
        }
    }

    private void watchOne(UUID id) {
        if (!knows(id)) {
            watched.remove(id);
            return;
        }
        VmRecord record = readRecord(id);
        if (!record.shouldRun() || record.pid() == 0 || monitorAlive(id, record.pid())) {
            return;
        }
        watched.remove(id);
        LOG.warnf("VM %s crashed: its %s monitor (pid %d) exited without being asked to stop", id,
                record.hypervisor(), record.pid());
        if ("on-crash".equals(restartPolicy)) {
            java.util.Deque<Long> recent = recentRestarts.computeIfAbsent(id, key -> new java.util.ArrayDeque<>());
            long now = System.nanoTime();
            while (!recent.isEmpty() && now - recent.peekFirst() > RESTART_WINDOW.toNanos()) {
                recent.removeFirst();
            }
            if (recent.size() >= RESTART_LIMIT) {
                LOG.errorf("VM %s crashed %d times within %s: not restarting it again", id, recent.size(),
                        RESTART_WINDOW);
                return;
            }
            recent.addLast(now);
            watcher.schedule(() -> restartAfterCrash(id), RESTART_DELAY.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void restartAfterCrash(UUID id) {
        synchronized (lock(id)) {
            if (!knows(id)) {
                return;
            }
            VmRecord record = readRecord(id);
            if (!record.shouldRun() || monitorAlive(id, record.pid())) {
                return;
            }
            try {
                InstanceSpec spec = JSON.readValue(vmDirectory(id).resolve("spec.json").toFile(), InstanceSpec.class);
                writeRecord(id, new VmRecord(true, record.hypervisor(), record.accel(), record.pid(),
                        record.restarts() + 1, record.graceful()));
                startLocked(spec);
                LOG.infof("VM %s restarted after a crash (restart %d)", id, record.restarts() + 1);
            } catch (IOException | RuntimeException e) {
                LOG.errorf("VM %s could not be restarted after a crash: %s", id, e.getMessage());
                watched.add(id);
            }
        }
    }

    // ---------------------------------------------------------------- processes

    /** Whether {@code pid} is a live monitor of this VM: its command line names the VM's id. */
    private static boolean monitorAlive(UUID id, long pid) {
        if (!processAlive(pid)) {
            return false;
        }
        try {
            byte[] cmdline = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            return new String(cmdline, StandardCharsets.UTF_8).contains(id.toString());
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean processAlive(long pid) {
        if (pid <= 0) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static void waitForExit(long pid, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (processAlive(pid) && System.nanoTime() < deadline) {
            sleep(20);
        }
    }

    private static long readPid(Path file) {
        try {
            return Long.parseLong(Files.readString(file).strip());
        } catch (IOException | NumberFormatException e) {
            throw new IllegalStateException("no pid in " + file, e);
        }
    }

    /** Keeps a log that grows across starts small: past 1 MiB it becomes {@code <log>.1}. */
    private static void rotate(Path log) {
        try {
            if (Files.isRegularFile(log) && Files.size(log) > (1L << 20)) {
                Files.move(log, log.resolveSibling(log.getFileName() + ".1"), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            LOG.warnf("cannot rotate %s: %s", log, e.getMessage());
        }
    }

    private static String tail(Path log) {
        try {
            if (!Files.exists(log)) {
                return "(no log)";
            }
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8).stream()
                    .filter(line -> !line.startsWith("---- ")).toList();
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size())).strip();
        } catch (IOException | UncheckedIOException e) {
            return "(log unreadable)";
        }
    }

    // ---------------------------------------------------------------- paths and records

    private Path vmsDirectory() {
        return agent.dataDirectory().resolve("vms");
    }

    private Path socketDirectory() {
        return agent.dataDirectory().resolve("run").resolve("vm");
    }

    private void clearSockets(UUID id) {
        try {
            Files.deleteIfExists(serialSocket(id));
            Files.deleteIfExists(vncSocket(id));
            Files.deleteIfExists(controlSocket(id));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private List<UUID> knownIds() {
        List<UUID> ids = new ArrayList<>();
        if (!Files.isDirectory(vmsDirectory())) {
            return ids;
        }
        try (Stream<Path> directories = Files.list(vmsDirectory())) {
            for (Path directory : directories.sorted().toList()) {
                try {
                    UUID id = UUID.fromString(directory.getFileName().toString());
                    if (Files.exists(directory.resolve("state.json"))) {
                        ids.add(id);
                    }
                } catch (IllegalArgumentException e) {
                    // not a VM directory
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ids;
    }

    private Object lock(UUID id) {
        return locks.computeIfAbsent(id, key -> new Object());
    }

    private void checkSpec(InstanceSpec spec) {
        if (!"vm".equals(spec.kind())) {
            throw new IllegalArgumentException("this driver runs VMs, not " + spec.kind());
        }
        if (problems.containsKey("vm")) {
            throw new IllegalStateException("VMs unavailable on this host: " + problems.get("vm"));
        }
        if (spec.name() == null || !spec.name().matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")) {
            throw new IllegalArgumentException("instance name must be a DNS label: " + spec.name());
        }
        if (spec.vcpus() < 1 || spec.vcpus() > 16 || spec.memoryMiB() < 32 || spec.diskGiB() < 1) {
            throw new IllegalArgumentException("a VM needs 1 to 16 vCPUs, at least 32 MiB of memory and 1 GiB of disk");
        }
    }

    private void requireKnown(UUID id) {
        if (!knows(id)) {
            throw new IllegalArgumentException("no VM " + id + " on this host");
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
        return storage.latestImageVersion(image)
                .orElseThrow(() -> new IllegalArgumentException("no image " + image + " on this host"));
    }

    private VmRecord readRecord(UUID id) {
        Path file = vmDirectory(id).resolve("state.json");
        try {
            return Files.exists(file) ? JSON.readValue(file.toFile(), VmRecord.class)
                    : new VmRecord(false, null, null, 0, 0, false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void writeRecord(UUID id, VmRecord record) {
        writeJson(vmDirectory(id).resolve("state.json"), record);
    }

    private static void writeJson(Path file, Object value) {
        try {
            Files.createDirectories(file.getParent());
            Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
            JSON.writeValue(temporary.toFile(), value);
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
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

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}

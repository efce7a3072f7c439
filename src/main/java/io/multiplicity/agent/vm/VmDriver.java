package io.multiplicity.agent.vm;

import io.multiplicity.agent.driver.AgentConfig;
import io.multiplicity.agent.driver.InstanceDriver;
import io.multiplicity.agent.network.HostNetwork;
import io.multiplicity.agent.storage.DatasetUsage;
import io.multiplicity.agent.storage.ZfsStorage;
import io.multiplicity.agent.support.Command;
import io.multiplicity.agent.support.ImageReference;
import io.multiplicity.agent.support.InstanceDirectories;
import io.multiplicity.agent.support.Processes;
import io.multiplicity.host.contract.ConsoleStream;
import io.multiplicity.host.contract.HostFacts;
import io.multiplicity.host.contract.InstanceSpec;
import io.multiplicity.host.contract.InstanceStatus;
import io.multiplicity.host.contract.InstanceStatus.State;
import io.multiplicity.host.contract.InstanceUsage;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * The host agent's driver for virtual machines: one monitor process per VM ({@link MvmHypervisor}
 * or {@link QemuHypervisor}, chosen per VM by {@link DriverChoice}), its disk a sparse raw file in
 * its ZFS dataset (a clone of its image), its network a tap on the tenant's bridge
 * ({@link TapDevice}). Launching monitors is {@link MonitorLauncher}'s, noticing crashes and the
 * restart policy {@link CrashWatcher}'s.
 *
 * <p>Monitors run in their own session and outlive the agent. What the agent knows of a VM lives
 * on disk under {@code <data>/vms/<id>/} (its spec, whether it should run, its monitor's pid and
 * hypervisor); its sockets are {@code <data>/run/vm/<id>.serial|.vnc|.control}. A new driver over
 * the same data directory therefore adopts running monitors (a pid whose command line names the
 * VM) instead of starting them again.
 */
public final class VmDriver extends InstanceDriver implements CrashWatcher.Watched, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(VmDriver.class);
    private static final long GIB = 1L << 30;
    /** Room in a VM's dataset beside its disk: kernel, initrd, logs. */
    private static final long DATASET_HEADROOM = 256L << 20;
    /** Longest unix socket path the driver makes, minus the data directory's part. */
    private static final int SOCKET_NAME_ROOM = 46;
    private static final int SOCKET_PATH_MAX = 107;
    /** Why a VM that should run is stopped: its guest powered off by itself (not a crash). */
    static final String POWERED_OFF = "its guest powered off";

    /**
     * What the agent records of a VM beside its spec.
     *
     * @param shouldRun  started and not asked to stop since
     * @param hypervisor the hypervisor it last ran on
     * @param accel      {@code kvm} or {@code tcg}
     * @param pid        its monitor, 0 when none was started
     * @param restarts   how often the restart policy started it again
     * @param graceful   its guest powers off when asked (its image says so); else a stop forces it
     * @param poweredOff it last stopped because its guest powered itself off
     */
    record VmRecord(boolean shouldRun, String hypervisor, String accel, long pid, int restarts, boolean graceful,
            boolean poweredOff) {

        static final VmRecord NONE = new VmRecord(false, null, null, 0, 0, false, false);

        VmRecord withRun(boolean run) {
            return new VmRecord(run, hypervisor, accel, pid, restarts, graceful, false);
        }

        VmRecord withPid(boolean run, long monitor) {
            return new VmRecord(run, hypervisor, accel, monitor, restarts, graceful, false);
        }

        VmRecord restarted() {
            return new VmRecord(true, hypervisor, accel, pid, restarts + 1, graceful, false);
        }

        VmRecord guestPoweredOff() {
            return new VmRecord(false, hypervisor, accel, pid, restarts, graceful, true);
        }
    }

    private final AgentConfig agent;
    private final VmConfig config;
    private final InstanceDirectories<VmRecord> vms;
    private final HostNetwork network;
    private final MvmHypervisor mvm;
    private final QemuHypervisor qemu;
    private final List<Hypervisor> hypervisors;
    private final Map<String, String> problems = new LinkedHashMap<>();
    private final VmFiles files;
    /** Each mvm monitor's own uid; null when monitors stay the agent's user. */
    private final MonitorIds monitorIds;
    private final CrashWatcher crashes;
    private final VmImageBuilder builtIns;

    /**
     * @param agent   the agent's configuration (data directory, pool, bridge)
     * @param config  the VM settings
     * @param storage the host's ZFS storage (shared with jails)
     * @param network the host's tenant networks (shared with jails)
     */
    public VmDriver(AgentConfig agent, VmConfig config, ZfsStorage storage, HostNetwork network) {
        super(storage);
        this.agent = agent;
        this.config = config;
        this.vms = new InstanceDirectories<>(agent.dataDirectory().resolve("vms"), VmRecord.class, VmRecord.NONE);
        this.files = new VmFiles(agent.dataDirectory().resolve("run").resolve("vm"), vms);
        this.monitorIds = config.monitorIdCount() > 0 && MonitorIds.agentIsRoot()
                ? new MonitorIds(vms, config.monitorIdBase(), config.monitorIdCount()) : null;
        this.network = network;
        this.mvm = new MvmHypervisor(MvmHypervisor.locate(config.mvm()));
        this.qemu = new QemuHypervisor(config.qemu(), config.qemuAccel());
        this.hypervisors = List.of(mvm, qemu);
        this.builtIns = new VmImageBuilder(storage, config.imageSource() != null ? config.imageSource().toAbsolutePath()
                : agent.dataDirectory().resolve("vm-images").resolve(VmImageBuilder.TINY_LINUX), mvm.testGuest("idle"),
                config.debianImageSource() != null ? config.debianImageSource().toAbsolutePath()
                        : agent.dataDirectory().resolve("vm-images").resolve(VmImageBuilder.DEBIAN_VM));
        prepareHost();
        this.crashes = new CrashWatcher(this, config.restartPolicy());
        adopt();
    }

    private void prepareHost() {
        try {
            Files.createDirectories(vms.root());
            Files.createDirectories(files.socketDirectory());
        } catch (IOException e) {
            problems.put("vm", "cannot create " + vms.root() + ": " + e.getMessage());
            return;
        }
        if (files.socketDirectory().toString().length() + SOCKET_NAME_ROOM > SOCKET_PATH_MAX) {
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
        String pool = agent.ensurePool(storage);
        if (pool != null) {
            problems.put("vm", pool);
            return;
        }
        // QEMU boots the test guest too (a PVH kernel), so a host without KVM offers it as well.
        if (mvm.problem() == null || builtIns.mvmTestGuestExists()) {
            try {
                builtIns.ensure(VmImageBuilder.MVM_TEST);
            } catch (RuntimeException e) {
                problems.put("image:" + VmImageBuilder.MVM_TEST, e.getMessage());
            }
        }
        if (builtIns.tinyLinuxSourceExists()) {
            ensureBuiltInImage(VmImageBuilder.TINY_LINUX);
        }
        if (builtIns.debianSourceExists()) {
            try {
                ensureBuiltInImage(VmImageBuilder.DEBIAN_VM);
            } catch (RuntimeException e) {
                LOG.errorf("the debian-vm image could not be imported: %s", e.getMessage());
            }
        }
    }

    /** Builds a built-in image that is missing (see {@link VmImageBuilder#ensure}); other images are the catalog's. */
    private void ensureBuiltInImage(String image) {
        synchronized (problems) {
            try {
                builtIns.ensure(image);
                problems.remove("image:" + image);
            } catch (RuntimeException e) {
                problems.put("image:" + image, e.getMessage());
                throw e;
            }
        }
    }

    /** Watches every VM that should run: monitors found running are adopted, dead ones are crashes. */
    private void adopt() {
        for (UUID id : vms.ids(true)) {
            VmRecord record = vms.record(id);
            if (record.shouldRun()) {
                crashes.watch(id);
                if (monitorAlive(id, record.pid())) {
                    LOG.infof("adopted VM %s: %s monitor pid %d", id, record.hypervisor(), record.pid());
                }
            }
        }
    }

    // ---------------------------------------------------------------- settings and accessors

    /** {@code never} or {@code on-crash}; changes apply to crashes noticed from now on. */
    public void restartPolicy(String policy) {
        crashes.policy(policy);
    }

    public HostNetwork network() {
        return network;
    }

    public List<Hypervisor> hypervisors() {
        return hypervisors;
    }

    /** The hypervisor the VM last ran on (or was provisioned for). */
    public String hypervisorOf(UUID id) {
        return vms.record(id).hypervisor();
    }

    /** How often the restart policy started the VM again. */
    public int restartsOf(UUID id) {
        return vms.record(id).restarts();
    }

    public Path serialSocket(UUID id) {
        return files.serialSocket(id);
    }

    public Path vncSocket(UUID id) {
        return files.vncSocket(id);
    }

    public Path controlSocket(UUID id) {
        return files.controlSocket(id);
    }

    public Path vmDirectory(UUID id) {
        return vms.of(id);
    }

    // ---------------------------------------------------------------- InstanceDriver

    @Override
    public String kind() {
        return "vm";
    }

    @Override
    protected String noun() {
        return "VM";
    }

    @Override
    public boolean knows(UUID id) {
        return vms.knows(id);
    }

    @Override
    public HostFacts facts() {
        Map<String, String> runtimes = new LinkedHashMap<>();
        for (Hypervisor hypervisor : hypervisors) {
            if (hypervisor.problem() == null) {
                runtimes.put(hypervisor.name(), hypervisor.version());
                runtimes.put(hypervisor.name() + ".capabilities", hypervisor.capabilities().describe());
            }
        }
        if (mvm.problem() == null) {
            runtimes.put("mvm.confinement", monitorIds != null ? "own-uid,empty-root,seccomp" : "seccomp");
            runtimes.put("qemu.confinement", monitorIds != null ? "own-uid,seccomp" : "seccomp");
        }
        if (qemu.problem() == null) {
            runtimes.put("qemu.accel", qemu.accelSummary());
        }
        runtimes.put("vm.restart-policy", crashes.policy());
        return facts(runtimes, problems);
    }

    @Override
    protected void checkSpec(InstanceSpec spec) {
        checkKindAndName(spec, problems.get("vm"));
        if (spec.vcpus() < 1 || spec.vcpus() > 16 || spec.memoryMiB() < 32 || spec.diskGiB() < 1) {
            throw new IllegalArgumentException("a VM needs 1 to 16 vCPUs, at least 32 MiB of memory and 1 GiB of disk");
        }
    }

    @Override
    protected void provisionLocked(InstanceSpec spec) {
        provisionedRoot(spec);
    }

    /** Provisions the VM and returns its dataset's mountpoint. */
    private Path provisionedRoot(InstanceSpec spec) {
        ImageReference image = ImageReference.parse(spec.image());
        boolean existed = storage.exists(storage.instanceDataset(spec.id()));
        if (!existed) {
            ensureBuiltInImage(image.name());
        }
        Path root = storage.cloneInstance(spec.id(), image.name(), imageVersion(image), spec.diskGiB());
        if (!VmImage.isVmImage(root)) {
            if (existed) {
                // Never destroy a disk on a guess: this call did not make the dataset, and a vm.json
                // that cannot be read now (an unmounted dataset, a slow file system) says nothing
                // about the disk beside it.
                throw new IllegalStateException("the VM's dataset " + storage.instanceDataset(spec.id())
                        + " has no readable vm.json; its disk is kept as it is");
            }
            storage.destroyInstance(spec.id());
            throw new IllegalArgumentException("image " + image.name() + " is not a VM image");
        }
        VmImage needs = VmImage.read(root);
        Hypervisor hypervisor = DriverChoice.choose(image.name(), needs, hypervisors, config.hostDriver(),
                config.imageDrivers());
        VmRecord previous = vms.record(spec.id());
        growDisk(spec, root);
        vms.writeSpec(spec);
        vms.writeRecord(spec.id(), new VmRecord(previous.shouldRun(), hypervisor.name(),
                hypervisor == qemu ? qemu.accelFor(needs) : "kvm", previous.pid(), previous.restarts(),
                needs.powersOff(), previous.poweredOff()));
        return root;
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
    protected InstanceStatus startLocked(InstanceSpec spec) {
        UUID id = spec.id();
        if (vms.knows(id) && monitorAlive(id, vms.record(id).pid())) {
            return statusLocked(id);
        }
        Path root = provisionedRoot(spec);
        VmRecord record = vms.record(id);
        Hypervisor hypervisor = hypervisorNamed(record.hypervisor());
        VmImage image = VmImage.read(root);
        String tap = null;
        if (spec.network() != null) {
            tap = TapDevice.attach(network, id, spec.network());
            network.describe(spec);
            network.join(id, spec.name(), TapDevice.mac(id), TapDevice.name(id), spec.network());
        }
        Hypervisor.Launch launch = files.launch(spec, image, root, tap, record.accel(), monitorConfinement(id));
        files.clearSockets(id);
        MonitorLauncher.rotate(launch.consoleLog());
        MonitorLauncher.rotate(files.monitorLog(id));
        vms.writeRecord(id, record.withPid(true, 0));
        long pid;
        try {
            pid = MonitorLauncher.launch(hypervisor, launch, files.monitorLog(id));
        } catch (RuntimeException e) {
            vms.writeRecord(id, record.withPid(false, 0));
            TapDevice.detach(id);
            throw e;
        }
        vms.writeRecord(id, record.withPid(true, pid));
        crashes.watch(id);
        LOG.infof("VM %s (%s) started on %s/%s, monitor pid %d", spec.name(), id, hypervisor.name(), record.accel(),
                pid);
        return statusLocked(id);
    }

    /**
     * The VM's own uid and an empty directory for its monitor's root, when the agent can give them
     * (it runs as root); else null, and mvm runs as the agent's user under its system call filter.
     * Both stay until the VM is destroyed, with its directory.
     */
    private Hypervisor.Confinement monitorConfinement(UUID id) {
        if (monitorIds == null) {
            return null;
        }
        int uid = monitorIds.of(id);
        return new Hypervisor.Confinement(uid, uid, files.prepareMonitorRoot(id));
    }

    @Override
    protected void stopLocked(UUID id, Duration timeout) {
        if (!vms.knows(id)) {
            return;
        }
        VmRecord record = vms.record(id);
        vms.writeRecord(id, record.withRun(false));
        long pid = record.pid();
        if (monitorAlive(id, pid)) {
            if (!timeout.isZero() && record.graceful()) {
                hypervisorNamed(record.hypervisor()).requestShutdown(files.controlOnly(id), timeout);
                Processes.waitForExit(pid, timeout.plusSeconds(1));
            }
            if (Processes.alive(pid)) {
                MonitorLauncher.stop(pid);
            }
        }
        crashes.unwatch(id);
        TapDevice.detach(id);
        files.clearSockets(id);
    }

    /**
     * A VM lives wholly in its dataset (its disk, kernel, initrd and {@code vm.json}); what the
     * host keeps beside it (the driver's record, the monitor's uid, sockets and tap) is made again
     * from the spec on the host it moves to.
     */
    @Override
    protected void requireMovable() {
    }

    @Override
    protected void destroyLocked(UUID id) {
        stopLocked(id, Duration.ZERO);
        crashes.forget(id);
        TapDevice.detach(id);
        network.leave(id);
        storage.destroyInstance(id);
        vms.delete(id);
        files.clearSockets(id);
    }

    @Override
    protected InstanceStatus statusLocked(UUID id) {
        if (!vms.knows(id)) {
            return InstanceStatus.absent(id);
        }
        VmRecord record = vms.record(id);
        if (monitorAlive(id, record.pid())) {
            return new InstanceStatus(id, State.RUNNING, record.pid(), record.hypervisor() + "/" + record.accel());
        }
        if (record.shouldRun() && guestPoweredOff(id, record)) {
            return new InstanceStatus(id, State.STOPPED, 0, POWERED_OFF);
        }
        if (record.shouldRun()) {
            String last = MonitorLauncher.tail(files.monitorLog(id));
            return new InstanceStatus(id, State.CRASHED, 0, "the " + record.hypervisor() + " monitor (pid "
                    + record.pid() + ") exited without being asked to stop"
                    + (last.isBlank() ? "" : ": " + last.substring(Math.max(0, last.length() - 200))));
        }
        return new InstanceStatus(id, State.STOPPED, 0, record.poweredOff() ? POWERED_OFF : null);
    }

    @Override
    public List<InstanceStatus> list() {
        List<InstanceStatus> statuses = new ArrayList<>();
        for (UUID id : vms.ids(true)) {
            statuses.add(status(id));
        }
        return statuses;
    }

    /**
     * Records the new vCPUs and memory (a running VM gets them at its next start) and grows the
     * disk file and the dataset's quota now; a running QEMU guest sees the larger disk at once.
     */
    @Override
    protected void resizeLocked(InstanceSpec spec) {
        growDisk(spec, storage.instanceMountpoint(spec.id()));
        vms.writeSpec(spec);
        VmRecord record = vms.record(spec.id());
        if (monitorAlive(spec.id(), record.pid())
                && !hypervisorNamed(record.hypervisor()).diskGrew(files.controlOnly(spec.id()), spec.diskGiB() * GIB)) {
            LOG.infof("VM %s sees its %d GiB disk at its next start", spec.id(), spec.diskGiB());
        }
    }

    @Override
    public InstanceUsage usage(UUID instanceId) {
        DatasetUsage disk = storage.usage(instanceId);
        VmRecord record = vms.record(instanceId);
        boolean running = monitorAlive(instanceId, record.pid());
        long memory = running ? Processes.residentBytes(record.pid()) : 0;
        long cpu = running ? Processes.cpuNanos(record.pid()) : 0;
        // The host end of the tap receives what the guest sends and sends what the guest receives.
        long guestReceived = TapDevice.counter(instanceId, "tx_bytes");
        long guestSent = TapDevice.counter(instanceId, "rx_bytes");
        return new InstanceUsage(disk.usedBytes(), disk.referencedBytes(), disk.snapshotBytes(), disk.compressRatio(),
                memory, cpu, guestReceived, guestSent, network.tenants().egressBytes(instanceId));
    }

    /** The serial console: QEMU's (after the recent output from its log) or mvm's (which replays it). */
    @Override
    public ConsoleStream openConsole(UUID instanceId) throws IOException {
        requireKnown(instanceId);
        boolean replayLog = !mvm.name().equals(vms.record(instanceId).hypervisor());
        return VmConsole.open(files.serialSocket(instanceId), replayLog ? files.consoleLog(instanceId) : null);
    }

    /** The VNC (RFB) server of the VM's framebuffer. */
    @Override
    public ConsoleStream openGraphics(UUID instanceId) throws IOException {
        requireKnown(instanceId);
        return VmConsole.open(files.vncSocket(instanceId), null);
    }

    @Override
    public void close() {
        crashes.close();
    }

    // ---------------------------------------------------------------- what the crash watcher asks

    @Override
    public boolean settlePowerOff(UUID id) {
        synchronized (lock(id)) {
            if (!vms.knows(id)) {
                return false;
            }
            VmRecord record = vms.record(id);
            if (!record.shouldRun() || record.pid() == 0 || monitorAlive(id, record.pid())
                    || !guestPoweredOff(id, record)) {
                return false;
            }
            vms.writeRecord(id, record.guestPoweredOff());
            TapDevice.detach(id);
            files.clearSockets(id);
            LOG.infof("VM %s: %s", id, POWERED_OFF);
            return true;
        }
    }

    @Override
    public String crash(UUID id) {
        VmRecord record = vms.record(id);
        if (!record.shouldRun() || record.pid() == 0 || monitorAlive(id, record.pid()) || guestPoweredOff(id, record)) {
            return null;
        }
        return "its " + record.hypervisor() + " monitor (pid " + record.pid() + ") exited without being asked to stop";
    }

    @Override
    public void restartAfterCrash(UUID id) {
        synchronized (lock(id)) {
            if (!vms.knows(id)) {
                return;
            }
            VmRecord record = vms.record(id);
            if (!record.shouldRun() || monitorAlive(id, record.pid())) {
                return;
            }
            InstanceSpec spec = vms.spec(id).orElseThrow(() -> new IllegalStateException("no spec recorded for " + id));
            vms.writeRecord(id, record.restarted());
            startLocked(spec);
            LOG.infof("VM %s restarted after a crash (restart %d)", id, record.restarts() + 1);
        }
    }

    // ---------------------------------------------------------------- helpers

    /** Whether the VM's monitor, gone, ended because its guest powered off (not a crash). */
    private boolean guestPoweredOff(UUID id, VmRecord record) {
        Hypervisor.Launch launch = files.controlOnly(id);
        return hypervisorNamed(record.hypervisor()).guestPoweredOff(launch, MonitorLauncher.exitStatus(launch.pidFile()));
    }

    private Hypervisor hypervisorNamed(String name) {
        return mvm.name().equals(name) ? mvm : qemu;
    }

    /** Whether {@code pid} is a live monitor of this VM: its command line names the VM's id. */
    private static boolean monitorAlive(UUID id, long pid) {
        return Processes.aliveNaming(pid, id.toString());
    }
}

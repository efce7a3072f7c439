package io.multiplicity.agent.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiplicity.agent.jail.JailDriver;
import io.multiplicity.agent.jail.JailHost;
import io.multiplicity.agent.support.Processes;
import io.multiplicity.host.contract.ConsoleStream;
import io.multiplicity.host.contract.InstanceSpec;
import io.multiplicity.host.contract.InstanceSpec.NetworkAttachment;
import io.multiplicity.host.contract.InstanceStatus;
import io.multiplicity.host.contract.InstanceStatus.State;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The VM driver on this machine's real ZFS and bridge with vmm-native's idle test guest (it prints
 * a line and halts, so the lifecycle is cheap to exercise): console, adoption by a new driver,
 * crash detection, the restart policy, disk snapshot and resize, and a destroy that leaves nothing
 * behind. The lifecycle runs once on QEMU (under TCG where there is no KVM: QEMU boots the guest as
 * a PVH kernel) and once on mvm, which needs {@code /dev/kvm}: only mvm's scenarios are skipped,
 * loudly, on a machine without it. The QEMU path with a real Linux guest runs in {@code VmApiTest}.
 */
class VmDriverTest {

    static JailHost host;
    /** The host's own choice of hypervisor per image (mvm where it can run the image). */
    static VmDriver driver;
    static VmConfig config;
    /** The same host with QEMU forced for every VM, as an admin can set it. */
    static VmDriver qemuDriver;
    static VmConfig qemuConfig;
    /** Whether the driver had built the test guest's image when it started (before any VM asked for it). */
    static boolean testGuestImageAtStart;

    @BeforeAll
    static void startHost() {
        String missing = unavailableReason();
        if (missing != null) {
            System.err.println("SKIPPED VmDriverTest: real VMs cannot run on this machine: " + missing);
        }
        Assumptions.assumeTrue(missing == null, "real VMs cannot run on this machine: " + missing);
        System.out.println("VmDriverTest: " + (KvmHost.usable() ? "/dev/kvm is here: the lifecycle runs on mvm and on QEMU"
                : "no /dev/kvm here: the lifecycle runs on QEMU under TCG; mvm's scenarios are skipped"));
        host = new JailHost("vm-driver", 256);
        JailDriver jails = host.start();
        config = VmConfig.defaults();
        driver = new VmDriver(host.config(), config, jails.storage(), jails.network());
        assertThat(driver.facts().kinds()).as("problems: " + driver.facts().problems()).contains("vm");
        testGuestImageAtStart = driver.storage().imageVersionExists(VmImageBuilder.MVM_TEST, VmImageBuilder.VERSION);
        qemuConfig = config.withDrivers("qemu", Map.of());
        qemuDriver = new VmDriver(host.config(), qemuConfig, jails.storage(), jails.network());
    }

    @AfterAll
    static void removeHost() {
        if (driver != null) {
            for (InstanceStatus status : driver.list()) {
                driver.destroy(status.id());
            }
            driver.close();
        }
        if (qemuDriver != null) {
            qemuDriver.close();
        }
        if (host != null) {
            host.close();
        }
    }

    /** Why no VM can run here (neither mvm nor QEMU), or null. */
    static String unavailableReason() {
        String jails = JailHost.unavailableReason();
        if (jails != null) {
            return jails;
        }
        if (!KvmHost.usable() && !qemuInstalled()) {
            return "/dev/kvm is missing (mvm needs it) and qemu-system-x86_64 is not installed"
                    + " (apt-get install qemu-system-x86)";
        }
        io.multiplicity.agent.support.Command.Result built = io.multiplicity.agent.support.Command.run("make", "-s", "-C",
                "vmm-native", "build/mvm", "build/guests/idle.elf");
        if (!built.ok()) {
            return "cannot build mvm and its test guests: " + built.stderr();
        }
        return null;
    }

    static boolean qemuInstalled() {
        return io.multiplicity.agent.support.Command.run("sh", "-c", "command -v qemu-system-x86_64").ok();
    }

    /** Skips a scenario of mvm's, saying so and what covers it instead, on a machine without KVM. */
    static void requireKvm(String scenario, String instead) {
        if (!KvmHost.usable()) {
            System.err.println("SKIPPED VmDriverTest " + scenario + ": mvm needs KVM, which this machine lacks: "
                    + KvmHost.MISSING + " (" + instead + ")");
        }
        Assumptions.assumeTrue(KvmHost.usable(), "mvm needs KVM, which this machine lacks: " + KvmHost.MISSING);
    }

    /** Skips a scenario of QEMU's, saying so, on a machine without it. */
    static void requireQemu(String scenario) {
        if (!qemuInstalled()) {
            System.err.println("SKIPPED VmDriverTest " + scenario + ": qemu-system-x86_64 is not installed");
        }
        Assumptions.assumeTrue(qemuInstalled(), "qemu-system-x86_64 is not installed");
    }

    static InstanceSpec spec(String name, int network, int address) {
        return new InstanceSpec(UUID.randomUUID(), UUID.randomUUID(), name, "vm", VmImageBuilder.MVM_TEST, 1, 64, 1,
                new NetworkAttachment(network, "10.232." + network + "." + address, 24, "10.232." + network + ".1"));
    }

    static QemuHypervisor qemu() {
        return driver.hypervisors().stream().filter(QemuHypervisor.class::isInstance).map(QemuHypervisor.class::cast)
                .findFirst().orElseThrow();
    }

    static final VmImage STOCK = new VmImage("kernel", false, true, "", null, false);
    static final VmImage FIRMWARE = new VmImage("firmware", true, false, "", null, false);
    static final VmImage TEST_GUEST = new VmImage("kernel", false, false, "", null, false);

    static String chosen(String image, VmImage needs, String hostDriver, Map<String, String> imageDrivers) {
        return DriverChoice.choose(image, needs, driver.hypervisors(), hostDriver, imageDrivers).name();
    }

    @Test
    void theHostReportsQemuAndPicksAHypervisorPerImage() {
        requireQemu("QEMU's facts and the choice of hypervisor");
        Map<String, String> runtimes = driver.facts().runtimes();
        assertThat(runtimes).containsKey("qemu");
        assertThat(runtimes.get("qemu.capabilities")).contains("kernel-boot", "firmware", "graphics", "tcg");
        assertThat(runtimes.get("qemu.accel")).as("how QEMU runs stock kernels here").isNotBlank();
        assertTrue(testGuestImageAtStart, "the test guest's image is built at start, whichever hypervisor runs it");

        assertEquals("qemu", chosen("windows", FIRMWARE, "auto", Map.of()), "only QEMU has firmware");
        assertEquals("qemu", chosen("mvm-test", TEST_GUEST, "auto", Map.of("mvm-test", "qemu")),
                "an admin forces a hypervisor per image");
        assertEquals("qemu", chosen("mvm-test", TEST_GUEST, "qemu", Map.of()), "an admin forces a hypervisor per host");
        assertThrows(IllegalStateException.class, () -> chosen("windows", FIRMWARE, "mvm", Map.of()),
                "mvm has no firmware");
        if (KvmHost.cannotRun(STOCK) != null) {
            assertEquals("qemu", chosen("tiny-linux", STOCK, "auto", Map.of()),
                    "where KVM cannot run a stock kernel (" + KvmHost.cannotRun(STOCK) + "), QEMU emulates it");
            assertEquals("tcg", qemu().accelFor(STOCK));
        }
        if (!KvmHost.usable()) {
            assertThat(runtimes).as("no mvm without KVM").doesNotContainKey("mvm");
            assertThat(driver.facts().problems().get("vm:mvm")).as("and the facts say why").contains("/dev/kvm");
            assertThat(runtimes.get("qemu.capabilities")).as("QEMU has no KVM here").doesNotContain("kvm");
            assertEquals("qemu", chosen("mvm-test", TEST_GUEST, "auto", Map.of()),
                    "without KVM the test guest runs on QEMU");
            assertEquals("tcg", qemu().accelFor(TEST_GUEST), "under TCG");
            IllegalStateException forced = assertThrows(IllegalStateException.class,
                    () -> chosen("mvm-test", TEST_GUEST, "mvm", Map.of()));
            assertThat(forced).as("a host forced to mvm says why it cannot run VMs").hasMessageContaining("/dev/kvm");
        }
    }

    @Test
    void mvmReportsWhatItCanDoAndIsPreferredForPurposeBuiltGuests() {
        requireKvm("mvm's facts", "QEMU's facts and the choice of hypervisor were checked");
        Map<String, String> runtimes = driver.facts().runtimes();
        assertThat(runtimes).containsKey("mvm").containsEntry("mvm.capabilities", "kernel-boot,graphics,kvm");
        assertEquals("mvm", chosen("mvm-test", TEST_GUEST, "auto", Map.of()), "mvm before QEMU where both can");
    }

    @Test
    void aQemuGuestRunsIsAdoptedCrashesComesBackAndLeavesNothing() throws Exception {
        requireQemu("QEMU's lifecycle");
        String accel = KvmHost.usable() ? "kvm" : "tcg";
        lifecycle(qemuDriver, qemuConfig, "qemu", accel, 8);
    }

    @Test
    void anMvmGuestRunsIsAdoptedCrashesComesBackAndLeavesNothing() throws Exception {
        requireKvm("mvm's lifecycle", "the same lifecycle ran on QEMU");
        lifecycle(driver, config, "mvm", "kvm", 7);
    }

    /**
     * A guest that powers itself off (tiny-linux's {@code poweroff} on its console: QEMU exits by
     * itself) has not crashed: the VM is stopped, and the on-crash policy does not start it again.
     */
    @Test
    void aGuestThatPowersItselfOffIsStoppedNotCrashed() throws Exception {
        requireQemu("a guest's own power-off");
        Path source = Path.of("target", "vm-images", VmImageBuilder.TINY_LINUX);
        if (!Files.isRegularFile(source.resolve("initrd"))) {
            io.multiplicity.agent.support.Command.Result built = io.multiplicity.agent.support.Command.run(
                    List.of("sh", "scripts/build-vm-image.sh", source.toString()), null);
            if (!built.ok()) {
                System.err.println("SKIPPED VmDriverTest power-off: cannot build tiny-linux from Debian packages: "
                        + built.stderr().strip());
            }
            Assumptions.assumeTrue(built.ok(), "cannot build tiny-linux");
        }
        try (VmDriver on = new VmDriver(host.config(), qemuConfig.withImageSource(source).withRestartPolicy("on-crash"),
                driver.storage(), driver.network())) {
            InstanceSpec spec = new InstanceSpec(UUID.randomUUID(), UUID.randomUUID(), "offswitch", "vm",
                    VmImageBuilder.TINY_LINUX, 1, 256, 1, new NetworkAttachment(9, "10.232.9.5", 24, "10.232.9.1"));
            UUID id = spec.id();
            try {
                InstanceStatus running = on.start(spec);
                assertEquals(State.RUNNING, running.state(), running.detail());
                long pid = running.pid();
                try (ConsoleStream console = on.openConsole(id)) {
                    assertThat(ConsoleReader.readUntil(console, "up as offswitch", Duration.ofSeconds(120)))
                            .as("tiny-linux booted").contains("up as offswitch");
                    // Typed again until it takes: the shell may not read its terminal yet.
                    for (int i = 0; i < 24 && Processes.alive(pid); i++) {
                        try {
                            console.toConsole().write("\npoweroff\n".getBytes(StandardCharsets.UTF_8));
                            console.toConsole().flush();
                        } catch (IOException gone) {
                            break;
                        }
                        Thread.sleep(5000);
                    }
                }
                assertFalse(Processes.alive(pid), "powered off within 2 minutes of typing poweroff");
                Thread.sleep(2500);
                InstanceStatus after = on.status(id);
                assertEquals(State.STOPPED, after.state(), "a power-off from inside is no crash: " + after.detail());
                assertEquals(VmDriver.POWERED_OFF, after.detail());
                assertEquals(0, on.restartsOf(id), "the on-crash policy did not start it again");
                assertFalse(Files.exists(Path.of("/sys/class/net", TapDevice.name(id))), "its tap is gone with it");
                assertEquals(State.RUNNING, on.start(spec).state(), "and it starts again when asked");
            } finally {
                on.destroy(id);
            }
        }
    }

    /**
     * One VM of the idle test guest from provisioning to destroy on {@code on}, whose VMs run on
     * {@code hypervisor} with {@code accel}; its tap is on tenant network {@code network}.
     */
    static void lifecycle(VmDriver on, VmConfig onConfig, String hypervisor, String accel, int network)
            throws Exception {
        InstanceSpec spec = spec("micro", network, 5);
        UUID id = spec.id();
        long began = System.nanoTime();
        assertEquals(State.STOPPED, on.provision(spec).state());
        assertEquals(hypervisor, on.hypervisorOf(id));

        InstanceStatus running = on.start(spec);
        assertEquals(State.RUNNING, running.state(), running.detail());
        assertEquals(hypervisor + "/" + accel, running.detail(), "the hypervisor and acceleration it runs on");
        long pid = running.pid();
        assertThat(readConsole(on, id, "idle guest halting", Duration.ofSeconds(20)))
                .as("the guest's line on the serial console").contains("idle guest halting");
        System.out.printf("%s/%s: the test guest printed on its console %d ms after provisioning began%n", hypervisor,
                accel, (System.nanoTime() - began) / 1_000_000);
        assertEquals(pid, on.start(spec).pid(), "starting a running VM changes nothing");
        assertThat(Processes.sessionOf(pid)).as("the monitor runs in a session of its own, so it outlives the agent")
                .isNotEqualTo(Processes.sessionOf(ProcessHandle.current().pid()));
        if ("mvm".equals(hypervisor)) {
            assertThat(Processes.sessionOf(pid)).as("mvm leads its session (setsid)").isEqualTo(pid);
        } else {
            assertThat(commandLine(pid)).as("QEMU under " + accel).contains("-accel " + accel);
        }
        String status = Files.readString(Path.of("/proc", Long.toString(pid), "status"));
        assertThat(status).as("the monitor runs under a seccomp filter").containsPattern("(?m)^Seccomp:\\s+2$");
        if (MonitorIds.agentIsRoot()) {
            assertThat(status).as("the monitor runs as a uid of the VM's own, not root")
                    .containsPattern("(?m)^Uid:\\s+(\\d+)\\s+\\1\\s+\\1\\s+\\1$").doesNotContainPattern("(?m)^Uid:\\s+0\\s");
        }
        assertThat(Files.exists(Path.of("/sys/class/net", TapDevice.name(id)))).as("its tap").isTrue();
        assertThat(Files.readString(Path.of("/sys/class/net", TapDevice.name(id), "master", "uevent")))
                .as("the tap is a port of the tenant bridge").contains(host.driver().network().tenantBridge(network));

        try (VmDriver restarted = new VmDriver(host.config(), onConfig, on.storage(), on.network())) {
            InstanceStatus adopted = restarted.status(id);
            assertEquals(State.RUNNING, adopted.state(), "a new agent adopts the running monitor");
            assertEquals(pid, adopted.pid(), "the same monitor, not a new one");
            assertThat(readConsole(restarted, id, "idle guest halting", Duration.ofSeconds(5)))
                    .contains("idle guest halting");
        }

        long killedAt = System.nanoTime();
        ProcessHandle.of(pid).orElseThrow().destroyForcibly();
        await(() -> on.status(id).state() == State.CRASHED, Duration.ofSeconds(5), "crashed");
        System.out.printf("%s monitor killed: reported crashed after %d ms%n", hypervisor,
                (System.nanoTime() - killedAt) / 1_000_000);
        assertThat(on.status(id).detail()).as("the crash names the monitor").contains(hypervisor, Long.toString(pid));
        Thread.sleep(1500);
        assertEquals(State.CRASHED, on.status(id).state(), "the never policy leaves it crashed");

        on.restartPolicy("on-crash");
        try {
            long second = on.start(spec).pid();
            ProcessHandle.of(second).orElseThrow().destroyForcibly();
            await(() -> {
                // One status for both checks: a second call could see the dying monitor's crash (pid 0).
                InstanceStatus now = on.status(id);
                return now.state() == State.RUNNING && now.pid() != second;
            }, Duration.ofSeconds(15), "restarted after the crash");
            assertEquals(1, on.restartsOf(id));
        } finally {
            on.restartPolicy("never");
        }

        on.snapshot(id, "before");
        InstanceSpec bigger = new InstanceSpec(id, spec.tenantId(), spec.name(), "vm", spec.image(), 2, 96, 2,
                spec.network());
        on.resize(bigger);
        Path disk = on.storage().instanceMountpoint(id).resolve("disk.raw");
        assertEquals(2L << 30, Files.size(disk), "the disk file grew");
        assertThat(Long.parseLong(on.storage().get(on.storage().instanceDataset(id), "quota")))
                .as("and the quota with it").isGreaterThan(2L << 30);
        long beforeStop = on.status(id).pid();
        assertEquals(State.STOPPED, on.stop(id, Duration.ofSeconds(1)).state(),
                "the guest does not power off: its monitor is ended");
        assertFalse(Processes.alive(beforeStop), "the monitor is gone");
        assertEquals(State.STOPPED, on.rollback(bigger, "before").state());
        on.start(bigger);
        assertThat(commandLine(on.status(id).pid())).as("vCPUs and memory apply at the next start")
                .contains(switch (hypervisor) {
                    case "qemu" -> List.of("-smp 2 ", "-m 96 ");
                    default -> List.of("--cpus 2", "--memory 96");
                });
        assertEquals(2L << 30, Files.size(disk), "the disk keeps its size after the rollback");

        long last = on.status(id).pid();
        on.destroy(id);
        assertEquals(State.ABSENT, on.status(id).state());
        assertFalse(on.storage().exists(on.storage().instanceDataset(id)), "no dataset");
        assertFalse(Files.exists(Path.of("/sys/class/net", TapDevice.name(id))), "no tap");
        assertFalse(Processes.alive(last), "no monitor");
        for (Path socket : List.of(on.serialSocket(id), on.vncSocket(id), on.controlSocket(id), on.vmDirectory(id))) {
            assertFalse(Files.exists(socket), "nothing left at " + socket);
        }
        System.out.printf("%s/%s: the whole lifecycle took %d ms%n", hypervisor, accel,
                (System.nanoTime() - began) / 1_000_000);
    }

    static String commandLine(long pid) throws IOException {
        return Files.readString(Path.of("/proc", Long.toString(pid), "cmdline")).replace('\0', ' ');
    }

    static String readConsole(VmDriver on, UUID id, String until, Duration timeout) throws IOException {
        try (ConsoleStream console = on.openConsole(id)) {
            return ConsoleReader.readUntil(console, until, timeout);
        }
    }

    static void await(Supplier<Boolean> condition, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.get()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not " + what + " within " + timeout);
            }
            Thread.sleep(100);
        }
    }

    /** Reads a console until a text appears, on a thread of its own so that a silent console times out. */
    public static final class ConsoleReader {

        private ConsoleReader() {
        }

        public static String readUntil(ConsoleStream console, String until, Duration timeout) throws IOException {
            StringBuilder seen = new StringBuilder();
            Thread reader = Thread.ofVirtual().start(() -> {
                byte[] buffer = new byte[4096];
                try {
                    int read;
                    while ((read = console.fromConsole().read(buffer)) > 0) {
                        synchronized (seen) {
                            seen.append(new String(buffer, 0, read, StandardCharsets.ISO_8859_1));
                            if (seen.indexOf(until) >= 0) {
                                return;
                            }
                        }
                    }
                } catch (IOException e) {
                    // closed
                }
            });
            try {
                reader.join(timeout);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            synchronized (seen) {
                return seen.toString();
            }
        }
    }
}

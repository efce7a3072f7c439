package io.multiplicity.agent.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
 * The VM driver on this machine's real KVM, ZFS and bridge, with mvm booting vmm-native's idle
 * test guest (milliseconds, so the lifecycle is cheap to exercise): console, adoption by a new
 * driver, crash detection, the restart policy, disk snapshot and resize, and a destroy that leaves
 * nothing behind. The QEMU path with a real Linux guest runs in {@code VmApiTest}.
 */
class VmDriverTest {

    static JailHost host;
    static VmDriver driver;
    static VmConfig config;

    @BeforeAll
    static void startHost() {
        String missing = unavailableReason();
        if (missing != null) {
            System.err.println("SKIPPED VmDriverTest: real VMs cannot run on this machine: " + missing);
        }
        Assumptions.assumeTrue(missing == null, "real VMs cannot run on this machine: " + missing);
        host = new JailHost("vm-driver", 256);
        JailDriver jails = host.start();
        config = VmConfig.defaults();
        driver = new VmDriver(host.config(), config, jails.storage(), jails.network());
        assertThat(driver.facts().kinds()).as("problems: " + driver.facts().problems()).contains("vm");
    }

    @AfterAll
    static void removeHost() {
        if (driver != null) {
            for (InstanceStatus status : driver.list()) {
                driver.destroy(status.id());
            }
            driver.close();
        }
        if (host != null) {
            host.close();
        }
    }

    /** Why mvm cannot run VMs here, or null. */
    static String unavailableReason() {
        String jails = JailHost.unavailableReason();
        if (jails != null) {
            return jails;
        }
        if (!KvmHost.usable()) {
            return "/dev/kvm is missing or not accessible";
        }
        io.multiplicity.agent.support.Command.Result built = io.multiplicity.agent.support.Command.run("make", "-s", "-C",
                "vmm-native", "build/mvm", "build/guests/idle.elf");
        if (!built.ok()) {
            return "cannot build mvm and its test guests: " + built.stderr();
        }
        return null;
    }

    static InstanceSpec spec(String name, int network, int address) {
        return new InstanceSpec(UUID.randomUUID(), UUID.randomUUID(), name, "vm", VmImageBuilder.MVM_TEST, 1, 64, 1,
                new NetworkAttachment(network, "10.232." + network + "." + address, 24, "10.232." + network + ".1"));
    }

    @Test
    void theHostReportsItsHypervisorsAndWhatEachCanDo() {
        Map<String, String> runtimes = driver.facts().runtimes();
        assertThat(runtimes).containsKey("mvm").containsEntry("mvm.capabilities", "kernel-boot,graphics,kvm");
        if (runtimes.containsKey("qemu")) {
            assertThat(runtimes.get("qemu.capabilities")).contains("firmware", "tcg");
            assertThat(runtimes.get("qemu.accel")).as("how QEMU runs stock kernels here").isNotBlank();
        }
        VmImage stock = new VmImage("kernel", false, true, "", null, false);
        VmImage firmware = new VmImage("firmware", true, false, "", null, false);
        VmImage tiny = new VmImage("kernel", false, false, "", null, false);
        assertEquals("mvm", DriverChoice.choose("mvm-test", tiny, driver.hypervisors(), "auto", Map.of()).name());
        assertEquals("qemu", DriverChoice.choose("windows", firmware, driver.hypervisors(), "auto", Map.of()).name());
        assertEquals("qemu", DriverChoice.choose("mvm-test", tiny, driver.hypervisors(), "auto",
                Map.of("mvm-test", "qemu")).name(), "an admin forces a hypervisor per image");
        assertEquals("qemu", DriverChoice.choose("mvm-test", tiny, driver.hypervisors(), "qemu", Map.of()).name(),
                "an admin forces a hypervisor per host");
        assertThrows(IllegalStateException.class, () -> DriverChoice.choose("windows", firmware, driver.hypervisors(),
                "mvm", Map.of()), "mvm has no firmware");
        if (KvmHost.nested()) {
            assertEquals("qemu", DriverChoice.choose("tiny-linux", stock, driver.hypervisors(), "auto", Map.of()).name(),
                    "a nested KVM runs stock kernels under QEMU's emulation");
        }
    }

    @Test
    void anMvmGuestRunsIsAdoptedCrashesComesBackAndLeavesNothing() throws Exception {
        InstanceSpec spec = spec("micro", 7, 5);
        UUID id = spec.id();
        assertEquals(State.STOPPED, driver.provision(spec).state());
        assertEquals("mvm", driver.hypervisorOf(id));

        InstanceStatus running = driver.start(spec);
        assertEquals(State.RUNNING, running.state(), running.detail());
        long pid = running.pid();
        assertThat(readConsole(id, "idle guest halting", Duration.ofSeconds(10))).contains("idle guest halting");
        assertEquals(pid, driver.start(spec).pid(), "starting a running VM changes nothing");
        assertThat(Processes.sessionOf(pid)).as("the monitor runs in a session of its own, so it outlives the agent")
                .isEqualTo(pid).isNotEqualTo(Processes.sessionOf(ProcessHandle.current().pid()));
        assertThat(Files.exists(Path.of("/sys/class/net", TapDevice.name(id)))).as("its tap").isTrue();
        assertThat(Files.readString(Path.of("/sys/class/net", TapDevice.name(id), "master", "uevent")))
                .as("the tap is a port of the tenant bridge").contains(host.driver().network().tenantBridge(7));

        try (VmDriver restarted = new VmDriver(host.config(), config, driver.storage(), driver.network())) {
            InstanceStatus adopted = restarted.status(id);
            assertEquals(State.RUNNING, adopted.state(), "a new agent adopts the running monitor");
            assertEquals(pid, adopted.pid(), "the same monitor, not a new one");
            assertThat(readConsole(restarted, id, "idle guest halting", Duration.ofSeconds(5)))
                    .contains("idle guest halting");
        }

        long killedAt = System.nanoTime();
        ProcessHandle.of(pid).orElseThrow().destroyForcibly();
        await(() -> driver.status(id).state() == State.CRASHED, Duration.ofSeconds(5), "crashed");
        System.out.printf("mvm monitor killed: reported crashed after %d ms%n",
                (System.nanoTime() - killedAt) / 1_000_000);
        Thread.sleep(1500);
        assertEquals(State.CRASHED, driver.status(id).state(), "the never policy leaves it crashed");

        driver.restartPolicy("on-crash");
        try {
            long second = driver.start(spec).pid();
            ProcessHandle.of(second).orElseThrow().destroyForcibly();
            await(() -> driver.status(id).state() == State.RUNNING && driver.status(id).pid() != second,
                    Duration.ofSeconds(10), "restarted after the crash");
            assertEquals(1, driver.restartsOf(id));
        } finally {
            driver.restartPolicy("never");
        }

        driver.snapshot(id, "before");
        InstanceSpec bigger = new InstanceSpec(id, spec.tenantId(), spec.name(), "vm", spec.image(), 2, 96, 2,
                spec.network());
        driver.resize(bigger);
        Path disk = driver.storage().instanceMountpoint(id).resolve("disk.raw");
        assertEquals(2L << 30, Files.size(disk), "the disk file grew");
        assertThat(Long.parseLong(driver.storage().get(driver.storage().instanceDataset(id), "quota")))
                .as("and the quota with it").isGreaterThan(2L << 30);
        assertEquals(State.STOPPED, driver.stop(id, Duration.ofSeconds(1)).state(),
                "the guest ignores the power key: forced after the timeout");
        assertEquals(State.STOPPED, driver.rollback(bigger, "before").state());
        driver.start(bigger);
        String cmdline = Files.readString(Path.of("/proc", Long.toString(driver.status(id).pid()), "cmdline"))
                .replace('\0', ' ');
        assertThat(cmdline).as("vCPUs and memory apply at the next start").contains("--cpus 2", "--memory 96");
        assertEquals(2L << 30, Files.size(disk), "the disk keeps its size after the rollback");

        long last = driver.status(id).pid();
        driver.destroy(id);
        assertEquals(State.ABSENT, driver.status(id).state());
        assertFalse(driver.storage().exists(driver.storage().instanceDataset(id)), "no dataset");
        assertFalse(Files.exists(Path.of("/sys/class/net", TapDevice.name(id))), "no tap");
        assertFalse(Processes.alive(last), "no monitor");
        for (Path socket : List.of(driver.serialSocket(id), driver.vncSocket(id), driver.controlSocket(id),
                driver.vmDirectory(id))) {
            assertFalse(Files.exists(socket), "nothing left at " + socket);
        }
    }

    static String readConsole(UUID id, String until, Duration timeout) throws IOException {
        return readConsole(driver, id, until, timeout);
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

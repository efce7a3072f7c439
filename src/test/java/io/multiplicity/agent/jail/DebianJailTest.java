package io.multiplicity.agent.jail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiplicity.agent.image.ZfsImageStore;
import io.multiplicity.agent.network.TenantNetworks;
import io.multiplicity.agent.network.TenantNetworks.Uplink;
import io.multiplicity.agent.network.TestInternet;
import io.multiplicity.agent.support.Command;
import io.multiplicity.agent.support.Command.Result;
import io.multiplicity.host.contract.ImageStore;
import io.multiplicity.host.contract.InstanceMetadata;
import io.multiplicity.host.contract.InstanceSpec;
import io.multiplicity.host.contract.InstanceSpec.NetworkAttachment;
import io.multiplicity.host.contract.InstanceStatus.State;
import io.multiplicity.host.contract.PublicAccess;
import io.multiplicity.host.contract.PublicAccess.Exposure;
import io.multiplicity.host.contract.PublicAccess.Forward;
import io.multiplicity.host.contract.PublicAccess.Protocol;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * A Debian jail a tenant can live in, on the image {@code scripts/build-image.sh debian-12}
 * builds: systemd as PID 1 under runc, a console that owns its terminal, SSH with the keys the
 * instance was created with (cloud-init from the metadata service), user-data run once, its own
 * view of memory and CPUs (LXCFS), and the outside world by name through the tenant network's
 * egress. Real zfs-fuse, runc, nftables, dnsmasq and namespaces; the outside world is the test's
 * own ({@link TestInternet}). One jail serves every method, in order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DebianJailTest {

    private static final Path ARCHIVE = Path.of("data/images/built-in/debian-12.tar.zst");
    private static final Path DESCRIPTION = Path.of("data/images/built-in/debian-12.json");
    private static final String PAGE = "the upstream's page for the Debian jail";
    private static final String SHARED = TestInternet.PUBLIC + ".10";
    private static final String ADDRESS = "10.236.61.10";
    private static final int MEMORY_MIB = 512;

    private TestInternet internet;
    private JailHost host;
    private JailDriver driver;
    private InstanceSpec jail;
    private Path givenKey;
    private Path otherKey;

    @BeforeAll
    void startTheJail() throws Exception {
        String missing = JailHost.unavailableReason();
        if (missing == null) {
            missing = TenantNetworks.unavailableReason();
        }
        if (missing == null && !Files.isRegularFile(ARCHIVE)) {
            missing = ARCHIVE + " is missing (build it: bash scripts/build-image.sh debian-12)";
        }
        if (missing == null && !Files.readString(DESCRIPTION).contains("\"init\": \"systemd\"")) {
            missing = ARCHIVE + " was built before its init was systemd (rebuild it: bash scripts/build-image.sh debian-12)";
        }
        if (missing == null && !Command.run("sh", "-c", "command -v ssh && command -v ssh-keygen").ok()) {
            missing = "ssh is not installed (scripts/host-deps.sh installs openssh-client)";
        }
        if (missing != null) {
            System.err.println("SKIPPED DebianJailTest: " + missing);
        }
        Assumptions.assumeTrue(missing == null, missing);

        internet = new TestInternet();
        host = new JailHost("debian", 512, 8);
        String resolver = internet.serveWebByName(host.config().dataDirectory().resolve("upstream-www"), PAGE);
        host.withUplink(new Uplink(internet.uplink, List.of(resolver)));
        driver = host.start();
        Path keys = host.config().dataDirectory().resolve("keys");
        Files.createDirectories(keys);
        givenKey = keys.resolve("given");
        otherKey = keys.resolve("other");
        for (Path key : List.of(givenKey, otherKey)) {
            Command.check("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", key.getFileName().toString(), "-f",
                    key.toString());
        }

        long importing = System.nanoTime();
        new ZfsImageStore(driver.storage(), driver.usesUserNamespaces() ? JailDriver.ID_BASE : -1)
                .importRootfs("debian", 1, ARCHIVE, new ImageStore.Limits(4L << 30, 200_000, false));
        System.out.printf("[debian] image imported in %.1f s%n", (System.nanoTime() - importing) / 1e9);

        String userData = """
                #cloud-config
                runcmd:
                  - [ sh, -c, 'echo "runcmd ran in $(hostname)" >> /root/runcmd.log' ]
                """;
        jail = new InstanceSpec(UUID.randomUUID(), UUID.randomUUID(), "deb1", "jail", "debian", 1, MEMORY_MIB, 4,
                new NetworkAttachment(61, ADDRESS, 24, "10.236.61.1", null, true),
                new InstanceMetadata(List.of(Files.readString(Path.of(givenKey + ".pub")).strip()), userData));
        host.track(jail.id());
        long starting = System.nanoTime();
        assertEquals(State.RUNNING, driver.start(jail).state());
        String state = awaitBoot();
        System.out.printf("[debian] systemd reached '%s' %.1f s after the start%n", state,
                (System.nanoTime() - starting) / 1e9);
        if (!state.equals("running")) {
            System.out.println("[debian] jobs still queued:\n" + exec("systemctl list-jobs --no-pager")
                    + "\n[debian] failed units:\n" + exec("systemctl --failed --no-pager")
                    + "\n[debian] the journal's last lines:\n" + exec("journalctl --no-pager -n 80 -o short-monotonic"));
        }
    }

    @AfterAll
    void tearDown() {
        if (driver != null) {
            driver.network().tenants().publish(PublicAccess.none());
        }
        if (host != null) {
            host.close();
        }
        if (internet != null) {
            internet.close();
        }
    }

    /** Waits until systemd has finished booting; returns what it says of the system. */
    private String awaitBoot() {
        // systemctl answers once systemd has opened its private socket, early in the boot.
        exec("for i in $(seq 100); do [ -S /run/systemd/private ] && break; sleep 0.1; done");
        return exec("timeout 120 systemctl is-system-running --wait").strip();
    }

    @Test
    @Order(1)
    void systemdIsPidOneAndTheSystemIsRunning() {
        assertThat(exec("ps -o comm= -p 1").strip()).isEqualTo("systemd");
        String state = exec("systemctl is-system-running").strip();
        String failed = exec("systemctl --failed --no-legend --plain");
        System.out.println("[debian] is-system-running: " + state + "; failed units: '" + failed.strip() + "'");
        assertThat(state).as("failed units: " + failed).isEqualTo("running");
        assertThat(exec("systemctl is-active systemd-networkd ssh systemd-journald")).isEqualTo("active\nactive\nactive\n");
        assertThat(exec("ip -o -4 addr show dev eth0")).contains(ADDRESS + "/24");
        assertThat(exec("ip route show default")).contains("via 10.236.61.1");
        assertThat(exec("cat /etc/resolv.conf")).contains("nameserver 10.236.61.1");
    }

    @Test
    @Order(2)
    void aSystemdJailMakesNamespacesForItsServicesButNoUserNamespace() {
        Result mountNamespace = run("unshare -m true");
        Result userNamespace = run("unshare -U true");
        System.out.println("[debian] unshare -m: exit " + mountNamespace.exitCode() + "; unshare -U: exit "
                + userNamespace.exitCode() + " " + userNamespace.stderr().strip());
        assertThat(mountNamespace.exitCode()).as("systemd sandboxes services in namespaces of their own").isZero();
        assertThat(userNamespace.exitCode()).as("no nested user namespace unless the image allows it").isNotZero();
        assertThat(userNamespace.stderr()).contains("Operation not permitted");
    }

    @Test
    @Order(2)
    void systemctlStartsAUnit() {
        exec("printf '[Service]\\nExecStartPre=/bin/sh -c \"echo started-by-systemd > /run/hello\"\\nExecStart=/bin/sleep infinity\\n'"
                + " > /etc/systemd/system/hello.service && systemctl daemon-reload");
        Result started = run("systemctl start hello.service");
        assertThat(started.ok()).as(started.stderr()).isTrue();
        assertThat(exec("systemctl is-active hello.service")).isEqualTo("active\n");
        assertThat(exec("cat /run/hello")).isEqualTo("started-by-systemd\n");
        assertThat(exec("systemctl show -p ControlGroup --value hello.service")).as("a cgroup of its own")
                .isEqualTo("/system.slice/hello.service\n");
        assertThat(exec("cat /proc/$(systemctl show -p MainPID --value hello.service)/cgroup"))
                .contains("0::/system.slice/hello.service");
        assertThat(run("systemctl stop hello.service").ok()).isTrue();
        assertThat(exec("systemctl is-active hello.service")).isEqualTo("inactive\n");
    }

    @Test
    @Order(3)
    void theConsoleShellOwnsItsTerminal() throws Exception {
        long initPid = driver.status(jail.id()).pid();
        try (ConsoleConnection console = driver.openConsole(jail.id()); Transcript transcript = new Transcript(console)) {
            int mark = transcript.mark();
            type(console, "\n");
            assertThat(transcript.awaitAfter(mark, "#", Duration.ofSeconds(20))).as("a root shell on the console").contains("#");
            type(console, "sleep 30\n");
            Thread.sleep(500);
            mark = transcript.mark();
            long interrupted = System.nanoTime();
            console.toConsole().write(new byte[] {3});
            type(console, "echo ok-$((40+2))\n");
            String seen = transcript.awaitAfter(mark, "ok-42", Duration.ofSeconds(2));
            System.out.printf("[console] Ctrl-C, then the echo answered in %.0f ms%n", (System.nanoTime() - interrupted) / 1e6);
            assertThat(seen).as("Ctrl-C ended the sleep and the shell answered within 2 s").contains("ok-42");

            type(console, "sh -c 'sleep 3; echo done-$((2+3))'\n");
            Thread.sleep(500);
            int stopMark = transcript.mark();
            console.toConsole().write(new byte[] {26});
            String stopped = transcript.awaitAfter(stopMark, "Stopped", Duration.ofSeconds(5));
            assertThat(stopped).as("Ctrl-Z stopped the job").contains("Stopped");
            Thread.sleep(4000);
            mark = transcript.mark();
            type(console, "echo jobs-$(jobs | wc -l)\n");
            assertThat(transcript.awaitAfter(mark, "jobs-1", Duration.ofSeconds(5))).contains("jobs-1");
            assertThat(transcript.since(stopMark)).as("a stopped job does not go on").doesNotContain("done-5");
            mark = transcript.mark();
            type(console, "fg\n");
            assertThat(transcript.awaitAfter(mark, "done-5", Duration.ofSeconds(8))).as("fg let the job finish").contains("done-5");
            mark = transcript.mark();
            type(console, "echo back-$((40+2))\n");
            assertThat(transcript.awaitAfter(mark, "back-42", Duration.ofSeconds(5))).contains("back-42");
        }
        System.out.println("[console] Ctrl-C and Ctrl-Z/fg reached the foreground program; waiting 15 s");
        Thread.sleep(15_000);
        assertEquals(State.RUNNING, driver.status(jail.id()).state());
        assertEquals(initPid, driver.status(jail.id()).pid(), "the same init 15 s later");
        assertThat(exec("systemctl is-system-running").strip()).isEqualTo("running");
    }

    @Test
    @Order(4)
    void freeAndNprocShowTheJailsOwnLimits() {
        Assumptions.assumeTrue(Lxcfs.mounted(), "SKIPPED free/uptime: lxcfs is not mounted: " + driver.facts().problems());
        String free = exec("free -m");
        System.out.println("[lxcfs] free -m:\n" + free.strip() + "\n[lxcfs] nproc: " + exec("nproc").strip()
                + ", uptime: " + exec("cat /proc/uptime").strip());
        String total = free.lines().filter(line -> line.startsWith("Mem:")).findFirst().orElseThrow().split("\\s+")[1];
        assertThat(total).isEqualTo(Integer.toString(MEMORY_MIB));
        if (CpuPinning.onlineCpus().size() > 1) {
            assertThat(exec("nproc").strip()).isEqualTo("1");
        }
        double jailUptime = Double.parseDouble(exec("cat /proc/uptime").split("\\s+")[0]);
        double hostUptime = Double.parseDouble(Command.check("cat", "/proc/uptime").split("\\s+")[0]);
        assertThat(jailUptime).as("the jail's own uptime, not the host's").isLessThan(600).isLessThan(hostUptime);
    }

    @Test
    @Order(5)
    void theOutsideWorldByNameAndNotWithEgressOff() {
        assertThat(exec("timeout 10 wget -qO- http://www.upstream.test/")).contains(PAGE);
        String bridge = driver.network().tenantBridge(61);
        driver.network().tenants().egress(bridge, false);
        try {
            Result blocked = run("timeout 5 wget -qO- http://www.upstream.test/");
            assertThat(blocked.ok()).isFalse();
            assertThat(blocked.stdout()).doesNotContain(PAGE);
        } finally {
            driver.network().tenants().egress(bridge, true);
        }
        assertThat(exec("timeout 10 wget -qO- http://www.upstream.test/")).contains(PAGE);
    }

    @Test
    @Order(6)
    void sshWithTheGivenKeyFromTheHostAndThroughAForward() {
        Result fromHost = ssh(List.of(), givenKey, ADDRESS, 22, "hostname");
        assertThat(fromHost.ok()).as(fromHost.stderr()).isTrue();
        assertThat(fromHost.stdout().strip()).isEqualTo("deb1");
        Result refused = ssh(List.of(), otherKey, ADDRESS, 22, "hostname");
        assertThat(refused.ok()).isFalse();
        assertThat(refused.stderr()).contains("Permission denied");

        driver.network().tenants().publish(new PublicAccess(List.of(SHARED), List.of(new Exposure(jail.id(),
                jail.network().tenantNetwork(), ADDRESS, null, List.of(new Forward(SHARED, Protocol.TCP, 2222, 22)), null))));
        List<String> client = List.of("ip", "netns", "exec", internet.client);
        Result throughForward = ssh(client, givenKey, SHARED, 2222, "hostname");
        assertThat(throughForward.ok()).as(throughForward.stderr()).isTrue();
        assertThat(throughForward.stdout().strip()).isEqualTo("deb1");
        assertThat(ssh(client, otherKey, SHARED, 2222, "hostname").ok()).isFalse();
        driver.network().tenants().publish(PublicAccess.none());
        System.out.println("[ssh] root@" + ADDRESS + " and root@" + SHARED + ":2222 from the client answer 'deb1';"
                + " a key not given is refused");
    }

    @Test
    @Order(7)
    void stopShutsSystemdDownCleanlyAndUserDataRanOnlyAtFirstBoot() throws Exception {
        assertThat(exec("cat /root/runcmd.log")).isEqualTo("runcmd ran in deb1\n");
        double seconds;
        String shutdown;
        try (ConsoleConnection console = driver.openConsole(jail.id()); Transcript transcript = new Transcript(console)) {
            long stopping = System.nanoTime();
            driver.stop(jail.id(), Duration.ofSeconds(30));
            seconds = (System.nanoTime() - stopping) / 1e9;
            shutdown = transcript.since(0).replaceAll("\u001b\\[[0-9;]*m", "");
        }
        System.out.printf("[stop] the jail stopped in %.1f s; the console's last lines:%n%s%n", seconds,
                shutdown.substring(Math.max(0, shutdown.length() - 1200)));
        assertThat(seconds).isLessThan(10);
        assertEquals(State.STOPPED, driver.status(jail.id()).state(), "a clean stop, not a crash");
        assertThat(shutdown).contains("Stopped target").contains("System Halt");

        assertEquals(State.RUNNING, driver.start(jail).state());
        assertThat(awaitBoot()).isEqualTo("running");
        assertThat(exec("cat /root/runcmd.log")).as("runcmd ran once, not at the second boot")
                .isEqualTo("runcmd ran in deb1\n");
        assertThat(exec("hostname").strip()).isEqualTo("deb1");
        String journal = exec("journalctl --no-pager -o cat -u systemd-halt.service; journalctl --no-pager -o cat | grep -c 'Reached target shutdown.target'");
        System.out.println("[stop] the journal of the first run: " + journal.strip().replace('\n', ' '));
        assertThat(journal).as("the journal kept the shutdown").contains("System Halt");
    }

    // ---------------------------------------------------------------- helpers

    private Result run(String command) {
        return driver.exec(jail.id(), "sh", "-c", command);
    }

    private String exec(String command) {
        Result result = run(command);
        return result.ok() ? result.stdout() : result.stdout() + result.stderr();
    }

    private static Result ssh(List<String> prefix, Path key, String address, int port, String command) {
        List<String> arguments = new java.util.ArrayList<>(prefix);
        arguments.addAll(List.of("timeout", "30", "ssh", "-i", key.toString(), "-p", Integer.toString(port),
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
                "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR", "root@" + address, command));
        return Command.run(arguments, null);
    }

    private static void type(ConsoleConnection console, String text) throws IOException {
        console.toConsole().write(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "";
        }
    }

    /** Everything the console printed since it was opened, read by a thread of its own. */
    private static final class Transcript implements AutoCloseable {

        private final StringBuilder text = new StringBuilder();
        private final Thread reader;

        Transcript(ConsoleConnection console) {
            InputStream in = console.fromConsole();
            reader = Thread.ofPlatform().daemon().name("console-transcript").start(() -> {
                byte[] buffer = new byte[4096];
                try {
                    int n;
                    while ((n = in.read(buffer)) > 0) {
                        synchronized (text) {
                            text.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                            text.notifyAll();
                        }
                    }
                } catch (IOException e) {
                    // the console was closed
                }
            });
        }

        int mark() {
            synchronized (text) {
                return text.length();
            }
        }

        String since(int mark) {
            synchronized (text) {
                return text.substring(Math.min(mark, text.length()));
            }
        }

        /** What the console printed after {@code mark}, once it holds {@code marker} or the time is up. */
        String awaitAfter(int mark, String marker, Duration limit) throws InterruptedException {
            long deadline = System.nanoTime() + limit.toNanos();
            synchronized (text) {
                while (!text.substring(Math.min(mark, text.length())).contains(marker)) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    text.wait(Math.max(1, left / 1_000_000));
                }
                return text.substring(Math.min(mark, text.length()));
            }
        }

        @Override
        public void close() {
            reader.interrupt();
        }
    }
}

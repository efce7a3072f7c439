package io.multiplicity.agent.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiplicity.agent.support.Command;
import io.multiplicity.agent.support.Command.Result;
import io.multiplicity.host.contract.InstanceSpec;
import io.multiplicity.host.contract.InstanceStatus;
import io.multiplicity.host.contract.InstanceStatus.State;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
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
 * Real jails: a real zfs-fuse (or OpenZFS) pool on a file under {@code target/}, real runc, real
 * namespaces, veth pairs and bridges. Skips, saying why, where the machine cannot run them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class JailDriverTest {

    private static final UUID ACME = UUID.randomUUID();
    private static final UUID GLOBEX = UUID.randomUUID();
    private static final int PIDS_LIMIT = 64;

    private JailHost host;
    private JailDriver driver;
    private InstanceSpec alpha;
    private InstanceSpec beta;
    private InstanceSpec gamma;

    @BeforeAll
    void startHost() {
        String reason = JailHost.unavailableReason();
        if (reason != null) {
            System.err.println("SKIPPED JailDriverTest: " + reason);
        }
        Assumptions.assumeTrue(reason == null, reason);
        host = new JailHost("jailtest", PIDS_LIMIT);
        driver = host.start();
        alpha = host.jail("alpha", ACME, 101, 11, 128, 1);
        beta = host.jail("beta", ACME, 101, 12, 128, 1);
        gamma = host.jail("gamma", GLOBEX, 102, 11, 128, 1);
        for (InstanceSpec spec : List.of(alpha, beta, gamma)) {
            assertEquals(State.STOPPED, driver.provision(spec).state());
            assertEquals(State.RUNNING, driver.start(spec).state());
        }
        for (InstanceSpec spec : List.of(alpha, beta, gamma)) {
            awaitNetwork(spec);
        }
    }

    @AfterAll
    void stopHost() {
        if (host != null) {
            host.close();
        }
    }

    @Test
    @Order(1)
    void jailSeesItsOwnHostnameAddressAndProcesses() throws Exception {
        var facts = driver.facts();
        System.out.println("[jail] host facts: kinds=" + facts.kinds() + " runtimes=" + facts.runtimes() + " storage="
                + facts.storageGiB() + " GiB problems=" + facts.problems());
        assertTrue(facts.kinds().contains("jail"));
        String hostname = exec(alpha, "hostname").stdout().strip();
        String address = exec(alpha, "ip", "-o", "-4", "addr", "show", "dev", "eth0").stdout();
        // (its boot may still be finishing: the metadata fetches' timeout watchers go within a second)
        String processes = exec(alpha, "ps", "-o", "pid,comm").stdout();
        for (int attempt = 0; attempt < 30 && processes.lines().count() > 5; attempt++) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            processes = exec(alpha, "ps", "-o", "pid,comm").stdout();
        }
        System.out.println("[jail] hostname=" + hostname + " eth0=" + address.strip());
        System.out.println("[jail] ps:\n" + processes.strip());
        assertEquals("alpha", hostname);
        assertTrue(address.contains("10.231.101.11/24"), address);
        List<String> lines = processes.lines().skip(1).map(String::strip).toList();
        assertTrue(lines.get(0).matches("1\\s+init"), "PID 1 is the image's init: " + lines);
        assertTrue(lines.size() <= 4, "only the jail's own processes: " + lines);

        try (ConsoleConnection console = driver.openConsole(alpha.id())) {
            console.toConsole().write("echo console-$((6*7)) $(hostname)\n".getBytes(StandardCharsets.UTF_8));
            String seen = readUntil(console.fromConsole(), "console-42 alpha", Duration.ofSeconds(10));
            assertTrue(seen.contains("console-42 alpha"), seen);
        }
        try (ConsoleConnection console = driver.openConsole(alpha.id())) {
            console.toConsole().write("echo again-$((7*6))\n".getBytes(StandardCharsets.UTF_8));
            String seen = readUntil(console.fromConsole(), "again-42", Duration.ofSeconds(10));
            assertTrue(seen.contains("again-42"), "the keeper serves a reconnecting client: " + seen);
        }
        System.out.println("[jail] console answered 'console-42 alpha', and again after a reconnect");
        try (ConsoleConnection console = driver.openConsole(alpha.id())) {
            console.toConsole().write("sleep 30\n".getBytes(StandardCharsets.UTF_8));
            sleep(500);
            console.toConsole().write(new byte[] {3});
            console.toConsole().write("echo after-$((40+2))\n".getBytes(StandardCharsets.UTF_8));
            String seen = readUntil(console.fromConsole(), "after-42", Duration.ofSeconds(5));
            assertTrue(seen.contains("after-42"), "Ctrl-C ended the sleep and the shell answers at once: " + seen);
            assertFalse(seen.contains("going down"), "Ctrl-C never reaches init: " + seen);
        }
        assertEquals(State.RUNNING, driver.status(alpha.id()).state(), "the jail runs on after a Ctrl-C");
        System.out.println("[jail] Ctrl-C on the console interrupted the foreground program only");
        if (driver.usesUserNamespaces()) {
            String map = exec(alpha, "cat", "/proc/self/uid_map").stdout().strip().replaceAll("\\s+", " ");
            long initPid = driver.status(alpha.id()).pid();
            String hostUid = Files.readAllLines(Path.of("/proc", Long.toString(initPid), "status")).stream()
                    .filter(line -> line.startsWith("Uid:")).findFirst().orElseThrow().split("\\s+")[1];
            System.out.println("[jail] user namespace: uid_map '" + map + "', init runs as host uid " + hostUid);
            assertEquals("0 " + driver.idBase(alpha.id()) + " 65536", map);
            assertEquals(Integer.toString(driver.idBase(alpha.id())), hostUid);
            String owner = Command.check("stat", "-c", "%u", driver.storage().instanceMountpoint(alpha.id()) + "/bin/busybox");
            assertEquals(Integer.toString(driver.idBase(alpha.id())), owner.strip(), "the jail's files are its root's");
        } else {
            System.out.println("[jail] no user namespaces on this host: " + driver.facts().problems());
        }
        Result mount = exec(alpha, "mount", "-t", "tmpfs", "none", "/mnt");
        Result clock = exec(alpha, "date", "-s", "2000-01-01");
        System.out.println("[jail] mount inside: exit " + mount.exitCode() + " " + mount.stderr().strip()
                + "; setting the clock: exit " + clock.exitCode() + " " + clock.stderr().strip());
        assertNotEquals(0, mount.exitCode());
        assertTrue(clock.stderr().contains("not permitted"), "no CAP_SYS_TIME: " + clock.stderr());
    }

    @Test
    @Order(1)
    void freeAndNprocInABusyboxJailShowItsOwnLimits() {
        Assumptions.assumeTrue(Lxcfs.mounted(), "SKIPPED busybox free: lxcfs is not mounted: " + driver.facts().problems());
        String free = exec(alpha, "free", "-m").stdout();
        String nproc = exec(alpha, "nproc").stdout().strip();
        System.out.println("[lxcfs] busybox free -m in a 128 MiB jail:\n" + free.strip() + "\n[lxcfs] nproc: " + nproc);
        String total = free.lines().filter(line -> line.strip().startsWith("Mem:")).findFirst().orElseThrow()
                .strip().split("\\s+")[1];
        assertEquals("128", total);
        if (CpuPinning.onlineCpus().size() > 1) {
            assertEquals("1", nproc, "a 1-vCPU jail sees one CPU");
        }
    }

    @Test
    @Order(2)
    void jailsOfOneTenantReachEachOtherAndNoOtherTenant() {
        Result sameTenant = exec(alpha, "ping", "-c", "1", "-W", "2", "10.231.101.12");
        Result sameTenantBack = exec(beta, "ping", "-c", "1", "-W", "2", "10.231.101.11");
        Result otherToAlpha = exec(gamma, "ping", "-c", "1", "-W", "1", "10.231.101.11");
        Result otherToBeta = exec(gamma, "ping", "-c", "1", "-W", "1", "10.231.101.12");
        Result alphaToOther = exec(alpha, "ping", "-c", "1", "-W", "1", "10.231.102.11");
        System.out.printf("[network] alpha->beta %s, beta->alpha %s, gamma->alpha %s, gamma->beta %s, alpha->gamma %s%n",
                verdict(sameTenant), verdict(sameTenantBack), verdict(otherToAlpha), verdict(otherToBeta),
                verdict(alphaToOther));
        assertTrue(sameTenant.ok(), sameTenant.stdout() + sameTenant.stderr());
        assertTrue(sameTenantBack.ok(), sameTenantBack.stdout() + sameTenantBack.stderr());
        assertFalse(otherToAlpha.ok(), otherToAlpha.stdout());
        assertFalse(otherToBeta.ok(), otherToBeta.stdout());
        assertFalse(alphaToOther.ok(), alphaToOther.stdout());
        Result rules = Command.run("iptables", "-w", "-S", driver.network().isolationChain());
        assertTrue(rules.stdout().contains("-j DROP"), "isolation chain installed: " + rules.stdout());
    }

    @Test
    @Order(3)
    void memoryLimitKillsTheHogOnly() {
        long initPid = driver.status(alpha.id()).pid();
        long betaPid = driver.status(beta.id()).pid();
        Result hog = exec(alpha, "dd", "if=/dev/zero", "of=/dev/null", "bs=256M", "count=1");
        System.out.println("[limits] 256 MiB allocation in a 128 MiB jail: exit " + hog.exitCode() + " "
                + hog.stderr().strip());
        assertNotEquals(0, hog.exitCode(), "the allocation must fail");
        assertEquals(new InstanceStatus(alpha.id(), State.RUNNING, initPid, null), driver.status(alpha.id()));
        assertEquals(betaPid, driver.status(beta.id()).pid());
        assertEquals("alive", exec(alpha, "echo", "alive").stdout().strip());
        String oom = read(Path.of("/sys/fs/cgroup/memory/multiplicity", alpha.id().toString(), "memory.oom_control"));
        System.out.println("[limits] " + oom.replace('\n', ' ') + "; the jail, its init and its neighbours still run");
        assertTrue(oom.contains("oom_kill 1"), oom);
    }

    @Test
    @Order(4)
    void forkBombStopsAtThePidsLimit() {
        InstanceSpec bomb = host.jail("bomb", ACME, 103, 11, 64, 1);
        driver.provision(bomb);
        driver.start(bomb);
        awaitNetwork(bomb);
        // A busybox shell exits when a fork fails, so the bomb can die out once it hits the limit.
        // The proof is the controller's count of forks refused because the jail was at pids.max.
        exec(bomb, "sh", "-c", "f() { while :; do f & done; }; f >/dev/null 2>&1 &");
        Path pids = Path.of("/sys/fs/cgroup/pids/multiplicity", bomb.id().toString());
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        long highest = 0;
        long refused = 0;
        while (System.nanoTime() < deadline && (highest < PIDS_LIMIT || refused < 10)) {
            highest = Math.max(highest, Long.parseLong(read(pids.resolve("pids.current"))));
            refused = Long.parseLong(read(pids.resolve("pids.events")).replaceAll("[^0-9]", ""));
            sleep(2);
        }
        System.out.println("[limits] fork bomb: pids.max=" + read(pids.resolve("pids.max")) + ", forks refused at the limit: "
                + refused + ", highest pids.current sampled: " + highest);
        assertTrue(refused > 0, "forks beyond the limit were refused");
        assertTrue(highest <= PIDS_LIMIT, "never more than the limit: " + highest);
        assertEquals(State.RUNNING, driver.status(alpha.id()).state());
        assertEquals("alive", exec(alpha, "echo", "alive").stdout().strip());
        long started = System.nanoTime();
        driver.destroy(bomb.id());
        System.out.printf("[limits] bomb jail destroyed in %d ms%n", (System.nanoTime() - started) / 1_000_000);
        assertFalse(Files.exists(pids), "cgroup removed");
    }

    @Test
    @Order(5)
    void writingPastTheDiskSizeFailsWithQuotaError() {
        Result write = exec(alpha, "sh", "-c",
                "dd if=/dev/urandom of=/root/fill bs=1M count=1400 2>&1; echo exit=$?; rm -f /root/fill");
        System.out.println("[limits] writing 1400 MiB into a 1 GiB jail: "
                + write.stdout().lines().filter(line -> !line.isBlank()).toList());
        assertTrue(write.stdout().contains("quota") || write.stdout().contains("No space"), write.stdout());
        assertFalse(write.stdout().contains("exit=0"), write.stdout());
    }

    @Test
    @Order(6)
    void stopStartRestartSnapshotRollback() {
        long firstPid = driver.status(beta.id()).pid();
        long started = System.nanoTime();
        InstanceStatus stopped = driver.stop(beta.id(), Duration.ofSeconds(10));
        long stopMillis = (System.nanoTime() - started) / 1_000_000;
        assertEquals(State.STOPPED, stopped.state());
        assertFalse(Files.exists(Path.of("/proc", Long.toString(firstPid))), "init gone");
        assertEquals(State.STOPPED, driver.stop(beta.id(), Duration.ofSeconds(1)).state(), "stop is idempotent");

        InstanceStatus restarted = driver.start(beta);
        assertEquals(State.RUNNING, restarted.state());
        assertEquals(restarted, driver.start(beta), "start is idempotent");
        awaitNetwork(beta);
        InstanceStatus again = driver.restart(beta, Duration.ofSeconds(10));
        assertEquals(State.RUNNING, again.state());
        assertNotEquals(restarted.pid(), again.pid());
        awaitNetwork(beta);

        assertTrue(exec(beta, "sh", "-c", "echo one > /root/marker").ok());
        driver.snapshot(beta.id(), "s1");
        assertTrue(exec(beta, "sh", "-c", "echo two > /root/marker").ok());
        assertEquals("two", exec(beta, "cat", "/root/marker").stdout().strip());
        InstanceStatus rolledBack = driver.rollback(beta, "s1");
        assertEquals(State.RUNNING, rolledBack.state());
        awaitNetwork(beta);
        String marker = exec(beta, "cat", "/root/marker").stdout().strip();
        assertEquals("one", marker);
        assertEquals(List.of("s1"), driver.snapshots(beta.id()));
        var usage = driver.usage(beta.id());
        System.out.printf("[lifecycle] stop %d ms (SIGTERM to busybox init), restart pid %d -> %d, rollback to s1 "
                + "reads '%s'; usage used=%d referenced=%d snapshots=%d memory=%d cpu=%dns%n", stopMillis, restarted.pid(),
                again.pid(), marker, usage.diskUsedBytes(), usage.diskReferencedBytes(), usage.snapshotBytes(),
                usage.memoryBytes(), usage.cpuNanos());
        assertTrue(usage.diskReferencedBytes() > 0);
        assertTrue(usage.memoryBytes() > 0 && usage.cpuNanos() > 0);
        assertTrue(exec(beta, "ping", "-c", "2", "-W", "2", "10.231.101.11").ok());
        var afterPing = driver.usage(beta.id());
        System.out.printf("[lifecycle] network bytes after two pings: received=%d sent=%d%n", afterPing.networkRxBytes(),
                afterPing.networkTxBytes());
        assertTrue(afterPing.networkRxBytes() > 0 && afterPing.networkTxBytes() > 0);
    }

    @Test
    @Order(7)
    void liveResize() {
        InstanceSpec bigger = new InstanceSpec(alpha.id(), alpha.tenantId(), alpha.name(), "jail", alpha.image(), 2, 256,
                2, alpha.network());
        long pid = driver.status(alpha.id()).pid();
        driver.resize(bigger);
        Path memory = Path.of("/sys/fs/cgroup/memory/multiplicity", alpha.id().toString());
        Path cpu = Path.of("/sys/fs/cgroup/cpu/multiplicity", alpha.id().toString());
        String limit = read(memory.resolve("memory.limit_in_bytes"));
        String quota = read(cpu.resolve("cpu.cfs_quota_us"));
        String diskQuota = driver.storage().get(driver.storage().instanceDataset(alpha.id()), "quota");
        System.out.println("[resize] memory.limit_in_bytes=" + limit + " cpu.cfs_quota_us=" + quota + " quota=" + diskQuota
                + ", same init pid " + pid);
        assertEquals(256L << 20, Long.parseLong(limit));
        assertEquals(200000, Long.parseLong(quota));
        assertEquals(2L << 30, Long.parseLong(diskQuota));
        assertEquals(pid, driver.status(alpha.id()).pid());
    }

    @Test
    @Order(8)
    void aNewDriverAdoptsRunningJailsAndReportsCrashedOnes() throws Exception {
        long alphaPid = driver.status(alpha.id()).pid();
        long gammaPid = driver.status(gamma.id()).pid();
        JailDriver restarted = new JailDriver(host.config());
        List<InstanceStatus> listed = restarted.list();
        System.out.println("[adopt] a new driver lists " + listed);
        assertTrue(listed.contains(new InstanceStatus(alpha.id(), State.RUNNING, alphaPid, null)), listed.toString());
        assertTrue(listed.contains(new InstanceStatus(gamma.id(), State.RUNNING, gammaPid, null)), listed.toString());

        try (ConsoleConnection console = restarted.openConsole(alpha.id())) {
            console.toConsole().write("echo adopted-$((40+2))\n".getBytes(StandardCharsets.UTF_8));
            String seen = readUntil(console.fromConsole(), "adopted-42", Duration.ofSeconds(10));
            assertTrue(seen.contains("adopted-42"), "the console keeper outlived the old driver: " + seen);
        }
        System.out.println("[adopt] the new driver reaches alpha's console through the same keeper");

        Command.check("kill", "-KILL", Long.toString(gammaPid));
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        InstanceStatus crashed = restarted.status(gamma.id());
        while (crashed.state() != State.CRASHED && System.nanoTime() < deadline) {
            sleep(20);
            crashed = restarted.status(gamma.id());
        }
        System.out.println("[adopt] after kill -9 of gamma's init: " + crashed);
        assertEquals(State.CRASHED, crashed.state());
        assertEquals(State.RUNNING, restarted.start(gamma).state(), "a crashed jail starts again");
    }

    @Test
    @Order(9)
    void jailsStartAndGoInParallel() throws Exception {
        UUID tenant = UUID.randomUUID();
        List<InstanceSpec> specs = java.util.stream.IntStream.range(0, 4)
                .mapToObj(i -> host.jail("para-" + i, tenant, 104, 10 + i, 64, 1)).toList();
        var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            long started = System.nanoTime();
            List<java.util.concurrent.Future<InstanceStatus>> starts = specs.stream()
                    .map(spec -> pool.submit(() -> {
                        driver.provision(spec);
                        return driver.start(spec);
                    })).toList();
            for (var start : starts) {
                assertEquals(State.RUNNING, start.get(60, TimeUnit.SECONDS).state());
            }
            long startMillis = (System.nanoTime() - started) / 1_000_000;
            awaitNetwork(specs.get(3));
            assertTrue(exec(specs.get(3), "ping", "-c", "1", "-W", "2", "10.231.104.10").ok(), "parallel jails share their network");
            List<java.util.concurrent.Future<?>> destroys = specs.stream()
                    .map(spec -> pool.submit(() -> driver.destroy(spec.id()))).collect(java.util.stream.Collectors.toList());
            for (var destroy : destroys) {
                destroy.get(60, TimeUnit.SECONDS);
            }
            System.out.printf("[parallel] 4 jails provisioned and started at once in %d ms, destroyed at once%n", startMillis);
            for (InstanceSpec spec : specs) {
                assertEquals(State.ABSENT, driver.status(spec.id()).state());
                assertFalse(driver.network().hasTraces(spec.id()));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @Order(10)
    void destroyLeavesNothingBehind() {
        UUID id = beta.id();
        long pid = driver.status(id).pid();
        driver.snapshot(id, "s2");
        driver.destroy(id);
        String dataset = driver.storage().instanceDataset(id);
        List<String> traces = new java.util.ArrayList<>();
        if (driver.storage().exists(dataset)) {
            traces.add("dataset " + dataset);
        }
        if (driver.network().hasTraces(id)) {
            traces.add("veth/netns");
        }
        for (String controller : List.of("memory", "cpu", "pids", "cpuacct", "devices", "freezer", "blkio", "cpuset",
                "systemd", "unified")) {
            Path cgroup = Path.of("/sys/fs/cgroup", controller, "multiplicity", id.toString());
            if (Files.exists(cgroup)) {
                traces.add("cgroup " + cgroup);
            }
        }
        if (Files.exists(Path.of("/proc", Long.toString(pid)))) {
            traces.add("process " + pid);
        }
        String processes = Command.check("ps", "-eo", "pid,stat,args");
        processes.lines().filter(line -> line.contains(id.toString())).forEach(line -> traces.add("process " + line));
        if (Files.exists(driver.jailDirectory(id)) || Files.exists(driver.consoleSocket(id))) {
            traces.add("bundle or console socket");
        }
        if (Command.run("runc", "--root", host.config().runtimeRoot().toString(), "state", id.toString()).ok()) {
            traces.add("runtime state");
        }
        System.out.println("[destroy] left behind: " + (traces.isEmpty() ? "nothing" : traces));
        assertEquals(List.of(), traces);
        assertEquals(State.ABSENT, driver.status(id).state());
        driver.destroy(id);
    }

    private static String verdict(Result ping) {
        return ping.ok() ? "reachable" : "unreachable";
    }

    private static String read(Path file) {
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private Result exec(InstanceSpec spec, String... command) {
        return driver.exec(spec.id(), command);
    }

    private void awaitNetwork(InstanceSpec spec) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            Result result = exec(spec, "ip", "-o", "-4", "addr", "show", "dev", "eth0");
            if (result.ok() && result.stdout().contains(spec.network().address() + "/")) {
                return;
            }
            sleep(50);
        }
        throw new AssertionError(spec.name() + " never configured its address");
    }

    static String readUntil(InputStream input, String expected, Duration timeout) throws Exception {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        CompletableFuture<String> reader = CompletableFuture.supplyAsync(() -> {
            byte[] buffer = new byte[4096];
            try {
                int count;
                while ((count = input.read(buffer)) > 0) {
                    synchronized (seen) {
                        seen.write(buffer, 0, count);
                        if (seen.toString(StandardCharsets.UTF_8).contains(expected)) {
                            return seen.toString(StandardCharsets.UTF_8);
                        }
                    }
                }
            } catch (IOException e) {
                // closed
            }
            synchronized (seen) {
                return seen.toString(StandardCharsets.UTF_8);
            }
        });
        try {
            return reader.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            synchronized (seen) {
                return seen.toString(StandardCharsets.UTF_8);
            }
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package io.multiplicity.agent.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiplicity.agent.support.Command;
import io.multiplicity.agent.support.Command.Result;
import io.multiplicity.host.contract.InstanceSpec;
import io.multiplicity.host.contract.InstanceStatus.State;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * What a jail is kept from, checked from inside real jails of two tenants (real zfs-fuse, runc,
 * namespaces): its own host uid range, no view of other instances' cgroups, and a seccomp
 * allowlist that refuses new user namespaces and io_uring while ordinary programs run.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class JailConfinementTest {

    private static final UUID ACME = UUID.randomUUID();
    private static final UUID GLOBEX = UUID.randomUUID();
    private static final String PROBE = "/usr/local/bin/confinement-probe";

    private JailHost host;
    private JailDriver driver;
    private InstanceSpec acmeOne;
    private InstanceSpec acmeTwo;
    private InstanceSpec globexOne;

    @BeforeAll
    void startJails() throws Exception {
        String reason = JailHost.unavailableReason();
        Path probe = Path.of("target", "native", "confinement-probe");
        if (reason == null) {
            Result built = Command.run("cc", "-O2", "-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Werror", "-static",
                    "-o", probe.toString(), "src/test/c/confinement-probe.c");
            reason = built.ok() ? null : "cannot build the static confinement probe: " + built.stderr();
        }
        if (reason != null) {
            System.err.println("SKIPPED JailConfinementTest: " + reason);
        }
        Assumptions.assumeTrue(reason == null, reason);
        host = new JailHost("confine", 256).withWarmClones(2);
        driver = host.start();
        if (!driver.usesUserNamespaces()) {
            System.err.println("SKIPPED JailConfinementTest: this host allows no user namespaces: "
                    + driver.facts().problems());
        }
        Assumptions.assumeTrue(driver.usesUserNamespaces(), "no user namespaces on this host");
        acmeOne = host.jail("acme-one", ACME, 111, 11, 64, 1);
        acmeTwo = host.jail("acme-two", ACME, 111, 12, 64, 1);
        globexOne = host.jail("globex-one", GLOBEX, 112, 11, 64, 1);
        for (InstanceSpec spec : List.of(acmeOne, acmeTwo, globexOne)) {
            // The first jail is cloned; the pool then has clones made ahead for the others.
            driver.awaitWarmClones(BusyboxImageBuilder.IMAGE, BusyboxImageBuilder.VERSION, Duration.ofSeconds(120));
            assertEquals(State.STOPPED, driver.provision(spec).state());
            Path installed = driver.storage().instanceMountpoint(spec.id()).resolve(PROBE.substring(1));
            Files.createDirectories(installed.getParent());
            Files.copy(probe, installed, StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(installed, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            // As if the jail's root had installed it: owned by its root.
            Command.check("chown", "-R", driver.idBase(spec.id()) + ":" + driver.idBase(spec.id()),
                    installed.getParent().getParent().toString());
            assertEquals(State.RUNNING, driver.start(spec).state());
        }
        for (InstanceSpec spec : List.of(acmeTwo, globexOne)) {
            assertTrue(driver.storage().instanceDataset(spec.id()).contains("/warm/"),
                    spec.name() + " runs in a clone made ahead, so these tests confine those too");
        }
    }

    @AfterAll
    void stop() {
        if (host != null) {
            host.close();
        }
    }

    @Test
    void everyJailRunsAsAHostUidRangeOfItsOwnAcrossAndWithinTenants() throws Exception {
        List<long[]> ranges = new java.util.ArrayList<>();
        for (InstanceSpec spec : List.of(acmeOne, acmeTwo, globexOne)) {
            long initPid = driver.status(spec.id()).pid();
            String[] map = Files.readString(Path.of("/proc", Long.toString(initPid), "uid_map")).strip().split("\\s+");
            String hostUid = Files.readAllLines(Path.of("/proc", Long.toString(initPid), "status")).stream()
                    .filter(line -> line.startsWith("Uid:")).findFirst().orElseThrow().split("\\s+")[1];
            assertTrue(exec(spec, "sh", "-c", "echo mine > /root/made-here").ok());
            String owner = Command.check("stat", "-c", "%u",
                    driver.storage().instanceMountpoint(spec.id()) + "/root/made-here").strip();
            System.out.println("[confinement] " + spec.name() + ": uid_map " + String.join(" ", map)
                    + ", init is host uid " + hostUid + ", a file it made is owned by host uid " + owner);
            assertEquals("0", map[0]);
            assertEquals(map[1], hostUid, "the jail's root is the first id of its range");
            assertEquals(hostUid, owner, "what the jail's root makes is owned by its range on the host");
            String imageFileOwner = Command.check("stat", "-c", "%u",
                    driver.storage().instanceMountpoint(spec.id()) + "/bin/busybox").strip();
            assertEquals(hostUid, imageFileOwner, "the image's files were moved into the jail's range");
            ranges.add(new long[] {Long.parseLong(map[1]), Long.parseLong(map[1]) + Long.parseLong(map[2])});
        }
        for (int i = 0; i < ranges.size(); i++) {
            for (int j = i + 1; j < ranges.size(); j++) {
                boolean overlap = ranges.get(i)[0] < ranges.get(j)[1] && ranges.get(j)[0] < ranges.get(i)[1];
                assertFalse(overlap, "host uid ranges " + ranges.get(i)[0] + ".." + ranges.get(i)[1] + " and "
                        + ranges.get(j)[0] + ".." + ranges.get(j)[1] + " overlap");
            }
        }
        assertEquals("mine", exec(acmeOne, "cat", "/root/made-here").stdout().strip(), "a jail still owns its files");
    }

    @Test
    void aDestroyedJailsRangeIsFreeAgainAndAFreshJailWorksInIt() throws Exception {
        InstanceSpec passing = host.jail("passing", GLOBEX, 112, 20, 64, 1);
        driver.provision(passing);
        int range = driver.idBase(passing.id());
        driver.destroy(passing.id());
        InstanceSpec next = host.jail("next", GLOBEX, 112, 21, 64, 1);
        driver.provision(next);
        // The lowest free range is taken again: by the next jail, or by the clone made ahead that
        // the pool made up for the one the next jail took.
        assertTrue(driver.awaitWarmClones(BusyboxImageBuilder.IMAGE, BusyboxImageBuilder.VERSION, Duration.ofSeconds(120)));
        List<Integer> holders = new java.util.ArrayList<>(driver.warmClones().stream()
                .map(io.multiplicity.agent.storage.WarmClone::idBase).toList());
        holders.add(driver.idBase(next.id()));
        assertTrue(holders.contains(range), "range " + range + " is held again: " + holders);
        assertEquals(State.RUNNING, driver.start(next).state());
        assertEquals("ok", exec(next, "sh", "-c", "touch /root/x && echo ok").stdout().strip());
        driver.destroy(next.id());
    }

    @Test
    void aJailSeesItsOwnCgroupTreeAndNoOtherInstancesCgroups() {
        Result tree = exec(acmeOne, "find", "/sys/fs/cgroup", "-maxdepth", "4");
        Result own = exec(acmeOne, "cat", "/proc/self/cgroup");
        System.out.println("[confinement] /sys/fs/cgroup in acme-one: " + tree.stdout().lines().count() + " entries; "
                + "/proc/self/cgroup: " + own.stdout().strip().replace('\n', ' '));
        assertTrue(tree.ok(), tree.stderr());
        for (InstanceSpec other : List.of(acmeTwo, globexOne)) {
            assertFalse(tree.stdout().contains(other.id().toString()),
                    "acme-one sees the cgroup of " + other.name() + ":\n" + tree.stdout());
        }
        assertFalse(tree.stdout().contains(acmeOne.id().toString()),
                "the jail's own cgroup is its root, not a path of the host's tree");
        assertFalse(own.stdout().contains("multiplicity"), "its own cgroup shows as the root: " + own.stdout());
    }

    @Test
    void newUserNamespacesAndIoUringAreRefusedWhileOrdinaryProgramsRun() {
        Result clone = exec(acmeOne, PROBE, "clone-userns");
        Result unshare = exec(acmeOne, "unshare", "-U", "true");
        Result ioUring = exec(acmeOne, PROBE, "io_uring");
        System.out.println("[confinement] in a busybox jail: clone(CLONE_NEWUSER) " + clone.stdout().strip()
                + "; unshare -U: exit " + unshare.exitCode() + " " + unshare.stderr().strip()
                + "; io_uring_setup " + ioUring.stdout().strip());
        assertEquals("refused: EPERM", clone.stdout().strip());
        assertNotEquals(0, unshare.exitCode());
        assertEquals("refused: EPERM", ioUring.stdout().strip());

        Result ordinary = exec(acmeOne, "sh", "-c",
                "ps >/dev/null && wget -q -T 1 -O /dev/null http://127.0.0.1:1/ 2>/dev/null; "
                        + "sleep 0.1 & wait; date >/dev/null && mkdir -p /tmp/a && echo x > /tmp/a/f && cat /tmp/a/f");
        assertEquals("x", ordinary.stdout().strip(), "ordinary programs run: " + ordinary.stderr());
        Result ping = exec(acmeOne, "sh", "-c",
                "for i in 1 2 3 4 5 6 7 8 9 10; do ping -c 1 -W 1 10.231.111.12 >/dev/null && exit 0; sleep 0.3; done; exit 1");
        assertTrue(ping.ok(), "sockets, raw ones included, work: " + ping.stderr());
    }

    @Test
    void noOtherHostUserReachesASetUserIdProgramInAJailWhileItWorksInside() {
        Result made = exec(acmeTwo, "sh", "-c", "cp " + PROBE + " /usr/local/bin/suid-probe && chown 0:0 "
                + "/usr/local/bin/suid-probe && chmod 4755 /usr/local/bin/suid-probe");
        assertTrue(made.ok(), made.stderr());
        Result inside = exec(acmeTwo, "su", "-s", "/bin/sh", "nobody", "-c", "/usr/local/bin/suid-probe euid");
        System.out.println("[confinement] a set-user-ID root program run by nobody inside the jail: euid "
                + inside.stdout().strip() + " " + inside.stderr().strip());
        assertEquals("0", inside.stdout().strip(), "set-user-ID programs (sudo, su) work inside a jail");

        Path datasetPath = driver.storage().instanceMountpoint(acmeTwo.id()).resolve("usr/local/bin/suid-probe");
        Path gatePath = driver.jailDirectory(acmeTwo.id()).resolve("rootfs/root/usr/local/bin/suid-probe");
        Path instances = driver.storage().instanceMountpoint(acmeTwo.id()).getParent();
        System.out.println("[confinement] " + instances + ": " + Command.check("stat", "-c", "%a %u", instances.toString()).strip());
        for (Path path : List.of(datasetPath, gatePath)) {
            // Through a shell: setpriv's own exec of its program does not show what the user could reach.
            Result asHostUser = Command.run("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                    "sh", "-c", "exec \"$0\" euid", path.toString());
            System.out.println("[confinement] host user 65534 runs " + path + ": exit " + asHostUser.exitCode() + " "
                    + asHostUser.stdout().strip() + asHostUser.stderr().strip());
            assertNotEquals(0, asHostUser.exitCode(), "a host user ran a jail's set-user-ID program as host uid "
                    + asHostUser.stdout().strip());
            assertTrue(asHostUser.stderr().contains("Permission denied"), asHostUser.stderr());
        }
    }

    private Result exec(InstanceSpec spec, String... command) {
        return driver.exec(spec.id(), command);
    }
}

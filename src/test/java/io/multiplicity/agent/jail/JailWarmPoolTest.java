package io.multiplicity.agent.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiplicity.agent.storage.WarmClone;
import io.multiplicity.agent.support.Command;
import io.multiplicity.host.contract.InstanceSpec;
import io.multiplicity.host.contract.InstanceStatus;
import io.multiplicity.host.contract.InstanceStatus.State;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The pool of clones made ahead on a real host (zfs-fuse or OpenZFS, runc): a jail takes a ready
 * clone that is already in an id range of its own, runs confined in it with its quota, keeps it
 * over a restart of the agent, and the clones left are neither jails nor anyone's quota; retiring
 * the image version destroys them.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class JailWarmPoolTest {

    private static final Duration READY = Duration.ofSeconds(120);

    @Test
    void aJailTakesACloneMadeAheadAndKeepsItConfinedAcrossARestart() throws Exception {
        String reason = JailHost.unavailableReason();
        if (reason != null) {
            System.err.println("SKIPPED JailWarmPoolTest: " + reason);
        }
        Assumptions.assumeTrue(reason == null, reason);
        UUID tenant = UUID.randomUUID();
        try (JailHost host = new JailHost("warmpool", 256).withWarmClones(2)) {
            JailDriver driver = host.start();
            Assumptions.assumeTrue(driver.usesUserNamespaces(), "no user namespaces on this host");

            InstanceSpec first = host.jail("first", tenant, 121, 11, 64, 1);
            driver.provision(first);
            assertEquals(State.RUNNING, driver.start(first).state());
            assertTrue(driver.lastStartSpans(first.id()).containsKey("zfs clone"),
                    "the first jail of a version is cloned: " + driver.lastStartSpans(first.id()));
            assertTrue(driver.awaitWarmClones(BusyboxImageBuilder.IMAGE, BusyboxImageBuilder.VERSION, READY),
                    "the pool made its clones");
            List<WarmClone> made = driver.warmClones();
            assertEquals(2, made.size(), "clones made ahead: " + made);
            Set<Integer> ranges = made.stream().map(WarmClone::idBase).collect(Collectors.toSet());
            assertEquals(2, ranges.size(), "each clone made ahead has an id range of its own: " + made);
            assertFalse(ranges.contains(driver.idBase(first.id())), "no clone shares the first jail's range");
            Set<UUID> listed = driver.list().stream().map(InstanceStatus::id).collect(Collectors.toSet());
            assertEquals(Set.of(first.id()), listed, "clones made ahead are not instances (the reconciler sees none)");

            InstanceSpec second = host.jail("second", tenant, 121, 12, 64, 2);
            long began = System.nanoTime();
            driver.provision(second);
            assertEquals(State.RUNNING, driver.start(second).state());
            long millis = (System.nanoTime() - began) / 1_000_000;
            Map<String, Double> spans = driver.lastStartSpans(second.id());
            System.out.println("[warm pool] second jail provisioned and started in " + millis + " ms: " + spans);
            assertTrue(spans.containsKey("clone made ahead"), "the second jail took a clone made ahead: " + spans);
            assertFalse(spans.containsKey("zfs clone"), "and made no clone of its own: " + spans);
            int range = driver.idBase(second.id());
            assertTrue(ranges.contains(range), "it runs in the range its clone was shifted into: " + range);
            assertTrue(driver.storage().instanceDataset(second.id()).contains("/warm/"), "its dataset is the clone");
            assertEquals(2L << 30, driver.storage().usage(second.id()).quotaBytes(), "its quota is its disk size");
            assertConfined(driver, second, range);

            driver.storage().snapshot(second.id(), "before");
            assertEquals(List.of("before"), driver.storage().snapshots(second.id()), "a snapshot of it is its own");

            // The agent restarts: the jail keeps its clone, the clone left is offered again in its range.
            assertTrue(driver.awaitWarmClones(BusyboxImageBuilder.IMAGE, BusyboxImageBuilder.VERSION, READY));
            driver.close();
            JailDriver again = new JailDriver(host.config());
            try {
                assertEquals(State.RUNNING, again.status(second.id()).state(), "the jail was adopted as it runs");
                assertEquals(driver.storage().instanceDataset(second.id()), again.storage().instanceDataset(second.id()),
                        "the restarted agent finds the jail's dataset");
                assertEquals(List.of("before"), again.storage().snapshots(second.id()));
                assertEquals("ok", again.exec(second.id(), "sh", "-c", "cat /root/mine && echo ok").stdout().lines()
                        .reduce((a, b) -> b).orElse(""), "its files are there");
                assertTrue(again.awaitWarmClones(BusyboxImageBuilder.IMAGE, BusyboxImageBuilder.VERSION, READY),
                        "the clones left are offered again and the pool made up the rest");
                List<WarmClone> offered = again.warmClones();
                assertFalse(offered.stream().anyMatch(clone -> clone.idBase() == range),
                        "no clone made ahead holds a jail's range after the restart: " + offered);

                // Retiring the version destroys the clones no jail took; the jails' own stay.
                List<WarmClone> destroyed = again.storage().destroyWarmClones(BusyboxImageBuilder.IMAGE,
                        BusyboxImageBuilder.VERSION);
                assertEquals(2, destroyed.size(), "destroyed: " + destroyed);
                for (WarmClone clone : destroyed) {
                    assertFalse(again.storage().exists(clone.dataset()), clone.dataset() + " is gone");
                }
                assertTrue(again.warmClones().isEmpty(), "the pool forgot them: " + again.warmClones());
                assertTrue(again.storage().clonesOf(BusyboxImageBuilder.IMAGE, BusyboxImageBuilder.VERSION)
                        .contains(again.storage().instanceDataset(second.id())), "the jail's clone keeps the version");

                String dataset = again.storage().instanceDataset(second.id());
                again.destroy(second.id());
                assertFalse(again.storage().exists(dataset), "destroying the jail destroys its clone");
                again.destroy(first.id());
            } finally {
                again.close();
            }
        }
    }

    private static void assertConfined(JailDriver driver, InstanceSpec spec, int range) throws Exception {
        long initPid = driver.status(spec.id()).pid();
        String[] map = Files.readString(Path.of("/proc", Long.toString(initPid), "uid_map")).strip().split("\\s+");
        assertEquals(List.of("0", Integer.toString(range), Integer.toString(IdShift.RANGE)), List.of(map),
                "the jail's user namespace maps its own range");
        assertTrue(driver.exec(spec.id(), "sh", "-c", "echo mine > /root/mine").ok());
        Path root = driver.storage().instanceMountpoint(spec.id());
        assertEquals(Integer.toString(range), Command.check("stat", "-c", "%u", root + "/root/mine").strip(),
                "what its root makes is owned by its range on the host");
        assertEquals(Integer.toString(range), Command.check("stat", "-c", "%u", root + "/bin/busybox").strip(),
                "the image's files were moved into its range");
        assertNotEquals("0", Command.check("stat", "-c", "%u", root.toString()).strip());
    }
}

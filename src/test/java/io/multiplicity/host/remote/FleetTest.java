package io.multiplicity.host.remote;

import static io.multiplicity.host.remote.FleetQueries.awaitImage;
import static io.multiplicity.host.remote.FleetQueries.hostOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiplicity.agent.jail.JailHost;
import io.multiplicity.agent.support.Command;
import io.multiplicity.agent.vm.VmImageBuilder;
import io.multiplicity.support.Api;
import io.multiplicity.support.ConsoleClient;
import io.multiplicity.support.Operations;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.config.JsonPathConfig;
import io.restassured.response.Response;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * One control plane and three host agents, each a process of its own in a network namespace of its
 * own with its own pool and bridge, shared by every step: new jails spread over the hosts, a tenant's anti-affinity group puts its
 * members on different hosts (and a member no other host can take is refused, creating nothing),
 * on every host another tenant learns nothing of bob's jail and bob's console reaches it,
 * thirty instances (jails, and VMs on QEMU) created through the API land where the spread policy
 * puts them by the hosts' figures and fill each host's allocatable disk exactly, a host given room
 * for a few only being passed over once full and a thirty-first refused (another tenant learns
 * nothing of them, bob's console reaches one on each host, and all thirty are deleted again),
 * a cordoned host takes no new jail, and a host whose agent stops reporting has its jails shown as
 * unknown within 30 s, then settled to running with the same init processes when it comes back, and
 * draining a host moves its jails and a VM (stopped, and running ones when asked) with their data
 * (a VM's disk) and snapshots to the others by zfs send | receive, leaving the drained host no
 * instance dataset.
 */
@QuarkusTest
@TestProfile(RemoteAgentProfile.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FleetTest {

    @TestHTTPResource("/")
    java.net.URL base;

    static final List<AgentProcessHandle> agents = new ArrayList<>();
    /** host id → its agent */
    static final Map<String, AgentProcessHandle> byHost = new HashMap<>();
    static final List<String> jails = new ArrayList<>();
    /** Where the drain test writes a marker into a VM's disk: 1 MiB in, past any boot sector. */
    private static final long DISK_MARKER_OFFSET = 1L << 20;

    /** The host the drain emptied, and a stopped jail it moved away. */
    static String drainedHost;
    static String movedStoppedJail;

    @BeforeAll
    static void requireJails() throws Exception {
        String missing = JailHost.unavailableReason();
        if (missing != null) {
            System.err.println("SKIPPED FleetTest: real jails cannot run on this machine: " + missing);
        }
        Assumptions.assumeTrue(missing == null, "real jails cannot run on this machine: " + missing);
        agents.add(new AgentProcessHandle(RemoteAgentProfile.SUFFIX + "a", 0));
        agents.add(new AgentProcessHandle(RemoteAgentProfile.SUFFIX + "b", 1));
        agents.add(new AgentProcessHandle(RemoteAgentProfile.SUFFIX + "c", 2));
    }

    @AfterAll
    static void removeAgents() throws Exception {
        for (AgentProcessHandle agent : agents) {
            agent.remove();
        }
    }

    @Test
    @Order(1)
    void threeAgentsEnrol() throws Exception {
        for (AgentProcessHandle agent : agents) {
            Response token = Api.as("admin").post("/api/v1/admin/hosts/enrolment-tokens");
            assertEquals(201, token.statusCode(), token.asString());
            agent.start(agent.controlPlane(base), token.path("token"));
        }
        for (AgentProcessHandle agent : agents) {
            byHost.put(agent.awaitHost("").toString(), agent);
        }
        FleetQueries.retireOthers(byHost.keySet());
        awaitImage("busybox");
    }

    @Test
    @Order(2)
    void newJailsSpreadOverTheHosts() {
        String first = hostOf(createJail("spread-1", null));
        String second = hostOf(createJail("spread-2", null));
        assertNotEquals(first, second, "the spread policy puts the second jail on the emptier host");
    }

    @Test
    @Order(3)
    void membersOfAnAntiAffinityGroupLandOnDifferentHosts() {
        List<String> hosts = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            hosts.add(hostOf(createJail("group-" + i, "web")));
        }
        assertThat(hosts).as("three members of group web share no host").doesNotHaveDuplicates();

        int before = instanceCount();
        Response fourth = create("group-4", "web");
        assertEquals(409, fourth.statusCode(), fourth.asString());
        assertEquals("anti_affinity_unsatisfiable", fourth.path("error"), fourth.asString());
        assertThat(fourth.<List<String>>path("details.hosts")).hasSize(3);
        assertEquals(before, instanceCount(), "a refused create leaves no instance behind");

        // Another tenant's group of the same name is another group.
        Response carol = Api.as("carol").body(Map.of("name", "group-1", "kind", "jail", "image", "busybox", "type",
                "j1.nano", "placementGroup", "web")).post("/api/v1/instances");
        assertEquals(202, carol.statusCode(), carol.asString());
        assertEquals("succeeded", Operations.finished("carol", carol.path("id"), Duration.ofSeconds(120)).path("state"));
        Api.as("carol").delete("/api/v1/instances/" + carol.path("target"));
    }

    /**
     * On each of the three hosts: another tenant learns nothing of bob's jail there (404 for it, its
     * console and its stop), and bob's serial console reaches it through the control plane's gateway.
     */
    @Test
    @Order(4)
    void everyHostServesConsolesAndKeepsTenantsApart() throws Exception {
        for (String hostId : byHost.keySet()) {
            String jail = jails.stream().filter(candidate -> hostId.equals(hostOf(candidate))).findFirst()
                    .orElseThrow(() -> new AssertionError("no jail of bob's on host " + hostId));
            assertTenantsApartAndConsoleReaches(hostId, jail);
        }
    }

    /**
     * Thirty instances, two jails for every VM (QEMU, of the idle test guest, created stopped), created
     * through the API one after another. Each lands where the spread policy puts it by the hosts'
     * figures as the admin API shows them just before its create: among the hosts with room for it,
     * the one with the largest share of its allocatable memory free. The admin gives the first host
     * room on disk for four of them only (a lower disk ratio) and the two others room for the rest,
     * with vCPUs overcommitted enough that the disk alone bounds each host: the small host, once full,
     * is passed over although its memory is the emptiest, the thirty fill the three hosts' disk
     * exactly, and a thirty-first is refused. On each host one of them (a VM, started, where the host
     * has one) is kept from another tenant and reached by bob's console. All thirty are deleted and
     * the ratios set back, so the steps after find the fleet as it was.
     */
    @Test
    @Order(5)
    void thirtyInstancesSpreadByThePolicyAndEachHostsCapacity() throws Exception {
        awaitImage(VmImageBuilder.MVM_TEST);
        Map<String, InstanceSize> sizes = instanceSizes();
        InstanceSize jailSize = sizes.get("j1.nano");
        InstanceSize vmSize = sizes.get("v1.nano");
        List<Planned> plan = new ArrayList<>();
        for (int i = 1; i <= 30; i++) {
            plan.add(i % 3 == 0 ? new Planned("fleet-vm-" + i, vmSize, VmImageBuilder.MVM_TEST, false)
                    : new Planned("fleet-jail-" + i, jailSize, "busybox", true));
        }

        Map<String, HostFigures> before = hostFigures();
        for (HostFigures host : before.values()) {
            assertEquals("ready", host.state(), host.toString());
            assertThat(host.cordoned()).as("%s is cordoned", host).isFalse();
        }
        List<String> hosts = before.values().stream().sorted(Comparator.comparing(HostFigures::name))
                .map(HostFigures::id).toList();
        String small = hosts.get(0);
        long diskNeeded = plan.stream().mapToLong(planned -> planned.size().diskGiB()).sum();
        long vcpusNeeded = plan.stream().mapToLong(planned -> planned.size().vcpus()).sum();
        Map<String, Long> room = new HashMap<>();
        room.put(small, plan.subList(0, 4).stream().mapToLong(planned -> planned.size().diskGiB()).sum());
        long rest = diskNeeded - room.get(small);
        room.put(hosts.get(1), rest / 2);
        room.put(hosts.get(2), rest - rest / 2);

        List<String> created = new ArrayList<>();
        try {
            for (String hostId : hosts) {
                HostFigures host = before.get(hostId);
                BigDecimal cpuRatio = ratioFor(host.vcpus(), vcpusNeeded).max(host.vcpus().ratio());
                BigDecimal diskRatio = ratioFor(host.storageGiB(), room.get(hostId));
                Response patched = Api.as("admin").body(Map.of("cpuRatio", cpuRatio, "diskRatio", diskRatio))
                        .patch("/api/v1/admin/hosts/" + hostId);
                assertEquals(202, patched.statusCode(), patched.asString());
            }
            Map<String, HostFigures> shaped = hostFigures();
            for (String hostId : hosts) {
                HostFigures host = shaped.get(hostId);
                assertEquals((long) room.get(hostId), host.storageGiB().free(), "the disk host " + host.name()
                        + " has left for new instances: " + host);
                assertThat(host.vcpus().free()).as("vCPUs of %s", host).isGreaterThanOrEqualTo(vcpusNeeded);
            }

            Map<String, String> hostOfCreated = new HashMap<>();
            Map<String, Long> diskLanded = new HashMap<>();
            Map<String, Integer> landed = new HashMap<>();
            Map<String, Integer> vmsLanded = new HashMap<>();
            List<String> vms = new ArrayList<>();
            int smallPassedOver = 0;
            for (Planned planned : plan) {
                Map<String, HostFigures> now = hostFigures();
                HostFigures expected = spreadChoice(now.values(), planned.size(), planned.start());
                assertThat(expected).as("a host with room for %s among %s", planned.name(), now.values()).isNotNull();
                HostFigures emptiest = now.values().stream().sorted(SPREAD_ORDER).findFirst().orElseThrow();
                if (emptiest.id().equals(small) && !emptiest.holds(planned.size(), planned.start())) {
                    smallPassedOver++;
                }
                Response accepted = createInstance(planned.name(), planned.size(), planned.image(), planned.start());
                assertEquals(202, accepted.statusCode(), accepted.asString());
                String instance = accepted.path("target");
                created.add(instance);
                Response finished = Operations.finished("bob", accepted.path("id"), Duration.ofSeconds(180));
                assertEquals("succeeded", finished.path("state"), finished.asString());
                String host = hostOf(instance);
                assertEquals(expected.id(), host, planned.name() + " lands where the spread policy puts it, on "
                        + expected.name() + ", by the hosts' figures: " + now.values());
                hostOfCreated.put(instance, host);
                landed.merge(host, 1, Integer::sum);
                if (planned.size().kind().equals("vm")) {
                    vms.add(instance);
                    vmsLanded.merge(host, 1, Integer::sum);
                }
                diskLanded.merge(host, (long) planned.size().diskGiB(), Long::sum);
            }

            Map<String, HostFigures> full = hostFigures();
            Map<String, String> counts = new java.util.TreeMap<>();
            for (String hostId : hosts) {
                counts.put(full.get(hostId).name(), landed.getOrDefault(hostId, 0) + " (VMs among them: "
                        + vmsLanded.getOrDefault(hostId, 0) + ", room for " + room.get(hostId) + " GiB)");
            }
            System.out.println("FleetTest: the thirty instances per host: " + counts + "; the small host "
                    + before.get(small).name() + " was passed over " + smallPassedOver + " times once full");
            for (String hostId : hosts) {
                assertEquals(room.get(hostId), diskLanded.getOrDefault(hostId, 0L), "host " + full.get(hostId).name()
                        + " took as much disk as it had room for");
                assertEquals(0, full.get(hostId).storageGiB().free(), "host " + full.get(hostId).name()
                        + " is full: " + full.get(hostId));
                if (!hostId.equals(small)) {
                    assertThat(landed.getOrDefault(small, 0)).as("the small host holds fewer than %s: %s",
                            full.get(hostId).name(), counts).isLessThan(landed.getOrDefault(hostId, 0));
                }
            }
            assertThat(smallPassedOver).as("the small host, full, is passed over while its memory is the emptiest")
                    .isPositive();

            assertThat(spreadChoice(full.values(), jailSize, true)).as("no host has room left").isNull();
            int held = instanceCount();
            Response refused = createInstance("fleet-jail-31", jailSize, "busybox", true);
            assertEquals(409, refused.statusCode(), refused.asString());
            assertEquals("insufficient_capacity", refused.path("error"), refused.asString());
            assertEquals(held, instanceCount(), "a refused create leaves no instance behind");

            for (String hostId : hosts) {
                List<String> there = created.stream().filter(instance -> hostId.equals(hostOfCreated.get(instance)))
                        .toList();
                String vm = there.stream().filter(vms::contains).findFirst().orElse(null);
                if (vm != null) {
                    Response started = Api.as("bob").post("/api/v1/instances/" + vm + "/start");
                    assertEquals(202, started.statusCode(), started.asString());
                    assertEquals("succeeded", Operations.finished("bob", started.path("id"), Duration.ofSeconds(180))
                            .path("state"), started.asString());
                }
                String reached = vm != null ? vm : there.get(0);
                assertTenantsApartAndConsoleReaches(hostId, reached);
                System.out.println("FleetTest: bob's console reached " + (vm != null ? "VM " : "jail ") + reached
                        + " on " + full.get(hostId).name() + ", which carol cannot see");
            }

            deleteAndAwait(created);
            Map<String, HostFigures> emptied = hostFigures();
            for (String hostId : hosts) {
                assertEquals(before.get(hostId).vcpus().allocated(), emptied.get(hostId).vcpus().allocated());
                assertEquals(before.get(hostId).memoryMiB().allocated(), emptied.get(hostId).memoryMiB().allocated());
                assertEquals(before.get(hostId).storageGiB().allocated(), emptied.get(hostId).storageGiB().allocated(),
                        "the deleted instances hold nothing of host " + emptied.get(hostId).name());
            }
        } finally {
            for (String instance : created) {
                Api.as("bob").delete("/api/v1/instances/" + instance);
            }
            for (String hostId : hosts) {
                Api.as("admin").body(Map.of("cpuRatio", before.get(hostId).vcpus().ratio(), "diskRatio",
                        before.get(hostId).storageGiB().ratio())).patch("/api/v1/admin/hosts/" + hostId);
            }
        }
        Map<String, HostFigures> restored = hostFigures();
        for (String hostId : hosts) {
            assertEquals(before.get(hostId).vcpus().allocatable(), restored.get(hostId).vcpus().allocatable());
            assertEquals(before.get(hostId).storageGiB().allocatable(), restored.get(hostId).storageGiB().allocatable());
        }
    }

    @Test
    @Order(6)
    void aCordonedHostTakesNoNewJail() {
        String cordoned = byHost.keySet().iterator().next();
        String hostName = Api.as("admin").get("/api/v1/admin/hosts/" + cordoned).path("name");
        Api.as("bob").post("/api/v1/admin/hosts/" + cordoned + "/cordon").then().statusCode(403);
        Response accepted = Api.as("admin").post("/api/v1/admin/hosts/" + cordoned + "/cordon");
        assertEquals(202, accepted.statusCode(), accepted.asString());
        assertEquals(true, Api.as("admin").get("/api/v1/admin/hosts/" + cordoned).path("cordoned"));
        Response again = Api.as("admin").post("/api/v1/admin/hosts/" + cordoned + "/cordon");
        assertEquals(409, again.statusCode(), again.asString());
        assertEquals("host_cordoned", again.path("error"));
        List<Map<String, Object>> audit = Api.as("admin").get("/api/v1/audit?action=host.cordon").path("items");
        assertThat(audit).anySatisfy(entry -> {
            assertThat(entry.get("target")).isEqualTo(cordoned);
            assertThat(entry.get("actor")).isEqualTo("admin");
            assertThat(entry.get("details")).asString().contains(hostName);
        });

        for (int i = 1; i <= 2; i++) {
            assertNotEquals(cordoned, hostOf(createJail("cordoned-" + i, null)), "the cordoned host takes no new jail");
        }
        Response uncordoned = Api.as("admin").post("/api/v1/admin/hosts/" + cordoned + "/uncordon");
        assertEquals(202, uncordoned.statusCode(), uncordoned.asString());
        assertEquals(false, Api.as("admin").get("/api/v1/admin/hosts/" + cordoned).path("cordoned"));
        assertEquals(cordoned, hostOf(createJail("uncordoned", null)), "the emptier, uncordoned host takes the next");
    }

    @Test
    @Order(7)
    void aSilentHostsJailsAreUnknownThenSettleWithoutARestart() throws Exception {
        String hostId = hostOf(jails.get(0));
        AgentProcessHandle agent = byHost.get(hostId);
        List<String> onHost = jails.stream().filter(jail -> hostId.equals(hostOf(jail))).toList();
        Map<String, Long> pids = new HashMap<>();
        for (String jail : onHost) {
            pids.put(jail, initPid(agent, jail));
        }
        Map<String, Object> allocatedBefore = Api.as("admin").get("/api/v1/admin/hosts/" + hostId).path("memoryMiB");
        List<Object> quotaBefore = heldQuota();

        agent.stop();
        Instant stopped = Instant.now();
        for (String jail : onHost) {
            awaitState(jail, "unknown", stopped.plus(Duration.ofSeconds(30)));
        }
        System.out.println("FleetTest: the silent host's jails were unknown " + Duration.between(stopped, Instant.now())
                .toMillis() + " ms after its agent stopped");
        Response unknown = Api.as("bob").get("/api/v1/instances/" + onHost.get(0));
        assertThat(unknown.<String>path("stateDetail")).contains("has not reported since");
        assertEquals(allocatedBefore, Api.as("admin").get("/api/v1/admin/hosts/" + hostId).path("memoryMiB"),
                "an unknown jail still holds its host's capacity");
        assertEquals(quotaBefore, heldQuota(), "and its tenant's quota");
        for (String jail : onHost) {
            assertEquals(pids.get(jail), initPid(agent, jail), "the jail runs on while its agent is away");
        }

        agent.start(agent.controlPlane(base), null);
        for (String jail : onHost) {
            awaitState(jail, "running", Instant.now().plus(Duration.ofSeconds(60)));
            assertEquals(pids.get(jail), initPid(agent, jail), "settled to running with the same init, not restarted");
        }
    }

    @Test
    @Order(8)
    void drainingAHostMovesItsJailsWithTheirDataAndSnapshots() throws Exception {
        String drained = hostOf(jails.get(0));
        AgentProcessHandle source = byHost.get(drained);
        // A member of group web cannot move (every other host holds one): the tenant removes it first.
        for (String jail : List.copyOf(jails)) {
            if (drained.equals(hostOf(jail)) && Api.as("bob").get("/api/v1/instances/" + jail).<String>path("name")
                    .startsWith("group-")) {
                Response deleted = Api.as("bob").delete("/api/v1/instances/" + jail);
                assertEquals("succeeded", Operations.finished("bob", deleted.path("id"), Duration.ofSeconds(60))
                        .path("state"), deleted.asString());
                jails.remove(jail);
            }
        }
        List<String> onHost = new ArrayList<>(jails.stream().filter(jail -> drained.equals(hostOf(jail))).toList());
        assertThat(onHost).isNotEmpty();
        String stopped = onHost.get(0);
        Response stop = Api.as("bob").post("/api/v1/instances/" + stopped + "/stop");
        assertEquals("succeeded", Operations.finished("bob", stop.path("id"), Duration.ofSeconds(60)).path("state"));
        // A VM there too (QEMU), with a marker in its disk: it is stopped, moved and started like a jail.
        String vm = createVmOn(drained);
        byte[] diskMarker = ("disk marker of " + vm).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (java.io.RandomAccessFile disk = new java.io.RandomAccessFile(
                mountpoint(source, vm).resolve("disk.raw").toFile(), "rw")) {
            disk.seek(DISK_MARKER_OFFSET);
            disk.write(diskMarker);
        }
        Response started = Api.as("bob").post("/api/v1/instances/" + vm + "/start");
        assertEquals("succeeded", Operations.finished("bob", started.path("id"), Duration.ofSeconds(180)).path("state"),
                started.asString());
        onHost.add(vm);
        for (String jail : onHost) {
            Files.writeString(mountpoint(source, jail).resolve("marker"), "marker of " + jail + "\n");
            Response snapshot = Api.as("bob").body(Map.of("name", "before-move")).post("/api/v1/instances/" + jail
                    + "/snapshot");
            assertEquals("succeeded", Operations.finished("bob", snapshot.path("id"), Duration.ofSeconds(60)).path("state"),
                    snapshot.asString());
        }

        Response drain = Api.as("admin").post("/api/v1/admin/hosts/" + drained + "/drain?running=stop-move-start");
        assertEquals(202, drain.statusCode(), drain.asString());
        assertEquals(true, Api.as("admin").get("/api/v1/admin/hosts/" + drained).path("cordoned"));
        List<Map<String, Object>> moves = drain.path("input.moves");
        assertThat(moves).as("every jail of the host moves: %s", drain.asString()).hasSize(onHost.size());
        for (Map<String, Object> move : moves) {
            Response finished = Operations.finished("admin", (String) move.get("operation"), Duration.ofSeconds(180));
            assertEquals("succeeded", finished.path("state"), finished.asString());
        }
        for (String jail : onHost) {
            String now = hostOf(jail);
            assertNotEquals(drained, now, "jail " + jail + " left the drained host");
            AgentProcessHandle target = byHost.get(now);
            assertEquals("marker of " + jail + "\n", Files.readString(mountpoint(target, jail).resolve("marker")),
                    "the marker arrived");
            assertTrue(Command.run("zfs", "list", "-H", "-t", "snapshot", target.pool + "/multiplicity/instances/" + jail
                    + "@before-move").ok(), "the snapshot arrived");
            assertThat(Api.as("bob").get("/api/v1/instances/" + jail + "/snapshots").<List<String>>path("items.name"))
                    .contains("before-move");
            assertEquals(jail.equals(stopped) ? "stopped" : "running", Api.as("bob").get("/api/v1/instances/" + jail)
                    .path("state"), "a running jail runs again on its new host, a stopped one stays stopped");
        }
        AgentProcessHandle vmHost = byHost.get(hostOf(vm));
        byte[] arrived = new byte[diskMarker.length];
        try (java.io.RandomAccessFile disk = new java.io.RandomAccessFile(
                mountpoint(vmHost, vm).resolve("disk.raw").toFile(), "r")) {
            disk.seek(DISK_MARKER_OFFSET);
            disk.readFully(arrived);
        }
        assertThat(new String(arrived, java.nio.charset.StandardCharsets.UTF_8)).as("the VM's disk arrived")
                .isEqualTo(new String(diskMarker, java.nio.charset.StandardCharsets.UTF_8));
        System.out.println("FleetTest: VM " + vm + " moved to " + Api.as("admin").get("/api/v1/instances/" + vm)
                .path("host") + " with its disk and snapshot and runs there: " + Api.as("admin")
                .get("/api/v1/instances/" + vm).path("state"));
        assertThat(instanceDatasets(source)).as("the drained host has no instance dataset left").isEmpty();
        drainedHost = drained;
        movedStoppedJail = stopped;
    }

    /**
     * A move the new host cannot take (its instances' space runs out while it receives) fails with
     * zfs's reason; the jail stays whole where it was (row, data, snapshots, no move snapshot left),
     * the new host keeps nothing of it, and the same move succeeds once the space is back.
     */
    @Test
    @Order(9)
    void aMoveThatFailsLeavesTheJailWholeOnItsHost() throws Exception {
        Assumptions.assumeTrue(movedStoppedJail != null, "the drain test moved no stopped jail");
        String jail = movedStoppedJail;
        String home = hostOf(jail);
        AgentProcessHandle source = byHost.get(home);
        AgentProcessHandle full = byHost.get(drainedHost);
        Response uncordoned = Api.as("admin").post("/api/v1/admin/hosts/" + drainedHost + "/uncordon");
        assertEquals(202, uncordoned.statusCode(), uncordoned.asString());
        java.nio.file.Path root = mountpoint(source, jail);
        assertTrue(Command.run("sh", "-c", "head -c 24M /dev/urandom > '" + root.resolve("filler") + "' && sync").ok());
        String instances = full.pool + "/multiplicity/instances";
        assertTrue(Command.run("zfs", "set", "quota=4M", instances).ok());
        try {
            Response move = Api.as("admin").post("/api/v1/instances/" + jail + "/move?to=" + drainedHost);
            assertEquals(202, move.statusCode(), move.asString());
            Response failed = Operations.finished("admin", move.path("id"), Duration.ofSeconds(180));
            assertEquals("failed", failed.path("state"), failed.asString());
            String error = failed.path("error");
            System.out.println("FleetTest: the move the full host could not take failed with: " + error);
            assertThat(error).as("the operation says zfs refused it").contains("zfs receive");
            assertEquals(home, hostOf(jail), "the jail's row still names its host");
            assertEquals("stopped", Api.as("bob").get("/api/v1/instances/" + jail).path("state"));
            assertEquals("marker of " + jail + "\n", Files.readString(mountpoint(source, jail).resolve("marker")),
                    "its data is where it was");
            Command.Result snapshots = Command.run("zfs", "list", "-H", "-t", "snapshot", "-o", "name", "-r",
                    source.pool + "/multiplicity/instances/" + jail);
            assertThat(snapshots.stdout().strip().lines().toList()).as("its snapshots stay, the move's is gone")
                    .containsExactly(source.pool + "/multiplicity/instances/" + jail + "@before-move");
            assertThat(instanceDatasets(full)).as("the host that could not take it keeps nothing of it").isEmpty();
        } finally {
            Command.run("zfs", "set", "quota=none", instances);
        }

        Response again = Api.as("admin").post("/api/v1/instances/" + jail + "/move?to=" + drainedHost);
        assertEquals(202, again.statusCode(), again.asString());
        Response moved = Operations.finished("admin", again.path("id"), Duration.ofSeconds(180));
        assertEquals("succeeded", moved.path("state"), moved.asString());
        assertEquals(drainedHost, hostOf(jail));
        assertEquals("marker of " + jail + "\n", Files.readString(mountpoint(full, jail).resolve("marker")));
        assertThat(instanceDatasets(source)).as("the old host's copy is gone").doesNotContain(
                source.pool + "/multiplicity/instances/" + jail);
    }

    /**
     * Another tenant (carol) learns nothing of bob's instance on {@code hostId} (404 for it, its
     * console and its stop; her list lacks it), and bob's serial console reaches it through the
     * control plane's gateway: a jail answers what is typed, a VM of the idle test guest shows the
     * line it printed as it booted.
     */
    private void assertTenantsApartAndConsoleReaches(String hostId, String instance) throws Exception {
        Response found = Api.as("bob").get("/api/v1/instances/" + instance);
        String name = found.path("name");
        String kind = found.path("kind");
        assertEquals(404, Api.as("carol").get("/api/v1/instances/" + instance).statusCode());
        assertEquals(404, Api.as("carol").body(Map.of("type", "serial")).post("/api/v1/instances/" + instance
                + "/console").statusCode());
        assertEquals(404, Api.as("carol").post("/api/v1/instances/" + instance + "/stop").statusCode());
        assertThat(Api.as("carol").get("/api/v1/instances?limit=100").<List<String>>path("items.id"))
                .doesNotContain(instance);

        Response issued = Api.as("bob").body(Map.of("type", "serial")).post("/api/v1/instances/" + instance + "/console");
        assertEquals(201, issued.statusCode(), issued.asString());
        try (ConsoleClient console = ConsoleClient.connect(base.toString(), issued.path("url"))) {
            assertTrue(console.awaitControl(c -> c.contains("\"you\":\"writer\""), Duration.ofSeconds(15)),
                    "the viewer writes: " + console.controls());
            if ("vm".equals(kind)) {
                assertTrue(console.awaitOutput("idle guest halting", Duration.ofSeconds(60)),
                        "VM " + name + " on host " + hostId + " showed: " + console.output());
            } else {
                console.type("echo host-$((6*7)) $(hostname)\n");
                assertTrue(console.awaitOutput("host-42 " + name, Duration.ofSeconds(15)),
                        "jail " + name + " on host " + hostId + " answered: " + console.output());
            }
        }
        assertEquals("running", Api.as("bob").get("/api/v1/instances/" + instance).path("state"));
    }

    /** What an instance type gives an instance. */
    private record InstanceSize(String type, String kind, int vcpus, int memoryMiB, int diskGiB) {
    }

    /** An instance the thirty-instance step creates. */
    private record Planned(String name, InstanceSize size, String image, boolean start) {
    }

    /** One resource of a host as the admin API shows it: physical × ratio − reserved = allocatable. */
    private record Amount(long physical, BigDecimal ratio, long reserved, long allocatable, long allocated) {

        long free() {
            return allocatable - allocated;
        }
    }

    /** One host's state and capacity as the admin API shows it. */
    private record HostFigures(String id, String name, String state, boolean cordoned, Amount vcpus,
                               Amount memoryMiB, Amount storageGiB) {

        /** The share of its allocatable memory still free, by which the spread policy orders hosts. */
        double freeMemoryShare() {
            long allocatable = Math.max(memoryMiB.allocatable(), 1);
            return (double) (allocatable - memoryMiB.allocated()) / allocatable;
        }

        /** Whether it has room for an instance: disk always, vCPUs and memory when it is to run. */
        boolean holds(InstanceSize size, boolean running) {
            return storageGiB.free() >= size.diskGiB()
                    && (!running || vcpus.free() >= size.vcpus() && memoryMiB.free() >= size.memoryMiB());
        }

        @Override
        public String toString() {
            return name + " (vCPUs " + vcpus.allocated() + "/" + vcpus.allocatable() + ", memory "
                    + memoryMiB.allocated() + "/" + memoryMiB.allocatable() + " MiB, disk " + storageGiB.allocated()
                    + "/" + storageGiB.allocatable() + " GiB)";
        }
    }

    /** The spread policy's order: the largest share of allocatable memory free first, then by name. */
    private static final Comparator<HostFigures> SPREAD_ORDER = Comparator.comparingDouble(
            HostFigures::freeMemoryShare).reversed().thenComparing(HostFigures::name);

    /** Where the spread policy puts an instance among {@code hosts}: the first with room for it; null when none has. */
    private static HostFigures spreadChoice(java.util.Collection<HostFigures> hosts, InstanceSize size,
                                            boolean running) {
        return hosts.stream().filter(host -> host.holds(size, running)).sorted(SPREAD_ORDER).findFirst().orElse(null);
    }

    /** The three agents' hosts as the admin API shows them, by id. */
    private static Map<String, HostFigures> hostFigures() {
        Response response = Api.as("admin").get("/api/v1/admin/hosts");
        assertEquals(200, response.statusCode(), response.asString());
        List<Map<String, Object>> items = response.jsonPath(JsonPathConfig.jsonPathConfig()
                .numberReturnType(JsonPathConfig.NumberReturnType.BIG_DECIMAL)).getList("items");
        Map<String, HostFigures> figures = new HashMap<>();
        for (Map<String, Object> host : items) {
            String id = (String) host.get("id");
            if (byHost.containsKey(id)) {
                figures.put(id, new HostFigures(id, (String) host.get("name"), (String) host.get("state"),
                        (Boolean) host.get("cordoned"), amount(host.get("vcpus")), amount(host.get("memoryMiB")),
                        amount(host.get("storageGiB"))));
            }
        }
        assertEquals(byHost.keySet(), figures.keySet(), "the admin API lists the three hosts");
        return figures;
    }

    private static Amount amount(Object capacity) {
        Map<?, ?> figures = (Map<?, ?>) capacity;
        return new Amount(longOf(figures.get("physical")), new BigDecimal(figures.get("ratio").toString()),
                longOf(figures.get("reserved")), longOf(figures.get("allocatable")), longOf(figures.get("allocated")));
    }

    private static long longOf(Object number) {
        return new BigDecimal(number.toString()).longValueExact();
    }

    /**
     * The least overcommit ratio (two decimals, as hosts keep it) at which the resource has
     * {@code free} left beside what is allocated and reserved: allocatable = physical × ratio − reserved.
     */
    private static BigDecimal ratioFor(Amount amount, long free) {
        assertThat(amount.physical()).as("physical amount of %s", amount).isPositive();
        return BigDecimal.valueOf(amount.allocated() + amount.reserved() + free)
                .divide(BigDecimal.valueOf(amount.physical()), 2, RoundingMode.CEILING);
    }

    /** The instance types by name, as a tenant sees them. */
    private static Map<String, InstanceSize> instanceSizes() {
        List<Map<String, Object>> types = Api.as("bob").get("/api/v1/instance-types").path("items");
        Map<String, InstanceSize> sizes = new HashMap<>();
        for (Map<String, Object> type : types) {
            sizes.put((String) type.get("name"), new InstanceSize((String) type.get("name"), (String) type.get("kind"),
                    ((Number) type.get("vcpus")).intValue(), ((Number) type.get("memoryMiB")).intValue(),
                    ((Number) type.get("diskGiB")).intValue()));
        }
        return sizes;
    }

    private static Response createInstance(String name, InstanceSize size, String image, boolean start) {
        return Api.as("bob").body(Map.of("name", name + "-" + UUID.randomUUID().toString().substring(0, 4), "kind",
                size.kind(), "image", image, "type", size.type(), "start", start)).post("/api/v1/instances");
    }

    /**
     * Deletes bob's instances, all at once, waits until each delete has succeeded, checks they are
     * gone, and empties the list.
     */
    private static void deleteAndAwait(List<String> instances) {
        List<String> operations = new ArrayList<>();
        for (String instance : instances) {
            Response deleted = Api.as("bob").delete("/api/v1/instances/" + instance);
            assertEquals(202, deleted.statusCode(), deleted.asString());
            operations.add(deleted.path("id"));
        }
        for (String operation : operations) {
            Response finished = Operations.finished("bob", operation, Duration.ofSeconds(180));
            assertEquals("succeeded", finished.path("state"), finished.asString());
        }
        for (String instance : instances) {
            assertEquals(404, Api.as("bob").get("/api/v1/instances/" + instance).statusCode(), instance);
        }
        instances.clear();
    }

    /** The instance datasets on an agent's pool, below its instances dataset. */
    private static List<String> instanceDatasets(AgentProcessHandle agent) {
        String parent = agent.pool + "/multiplicity/instances";
        Command.Result list = Command.run("zfs", "list", "-H", "-o", "name", "-r", parent);
        assertThat(list.ok()).as("zfs list of %s: %s", parent, list).isTrue();
        return list.stdout().strip().lines().filter(name -> !name.equals(parent)).toList();
    }

    private static java.nio.file.Path mountpoint(AgentProcessHandle agent, String jail) {
        Command.Result mountpoint = Command.run("zfs", "get", "-H", "-o", "value", "mountpoint",
                agent.pool + "/multiplicity/instances/" + jail);
        assertThat(mountpoint.ok()).as("jail %s has a dataset on %s: %s", jail, agent.pool, mountpoint).isTrue();
        return java.nio.file.Path.of(mountpoint.stdout().strip());
    }

    /** What bob's tenant holds: instances, vCPUs and memory allocated. */
    private static List<Object> heldQuota() {
        Response quota = Api.as("bob").get("/api/v1/quota");
        List<Object> held = new ArrayList<>();
        for (String resource : List.of("instances", "vcpus", "memoryMiB")) {
            Object allocated = quota.path("resources." + resource + ".allocated");
            assertThat(allocated).as("quota %s: %s", resource, quota.asString()).isNotNull();
            held.add(allocated);
        }
        return held;
    }

    private static void awaitState(String jail, String state, Instant deadline) throws InterruptedException {
        Response response = null;
        while (Instant.now().isBefore(deadline)) {
            response = Api.as("bob").get("/api/v1/instances/" + jail);
            if (state.equals(response.path("state"))) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("instance " + jail + " is not " + state + " in time: "
                + (response == null ? "" : response.asString()));
    }

    private static long initPid(AgentProcessHandle agent, String jail) {
        Command.Result state = Command.run("runc", "--root", agent.dataDir.resolve("run").resolve("oci").toString(),
                "state", jail);
        assertThat(state.ok()).as("runc knows jail %s: %s", jail, state).isTrue();
        java.util.regex.Matcher pid = java.util.regex.Pattern.compile("\"pid\":\\s*(\\d+)").matcher(state.stdout());
        assertThat(pid.find()).as("runc state of %s: %s", jail, state.stdout()).isTrue();
        long value = Long.parseLong(pid.group(1));
        assertThat(value).as("jail %s runs", jail).isPositive();
        return value;
    }

    private static int instanceCount() {
        return Api.as("bob").get("/api/v1/instances?limit=100").<List<?>>path("items").size();
    }

    private static Response create(String name, String group) {
        Map<String, Object> body = new HashMap<>(Map.of("name", name + "-" + UUID.randomUUID().toString().substring(0, 4),
                "kind", "jail", "image", "busybox", "type", "j1.nano", "start", true));
        if (group != null) {
            body.put("placementGroup", group);
        }
        return Api.as("bob").body(body).post("/api/v1/instances");
    }

    private static String createJail(String name, String group) {
        Response accepted = create(name, group);
        assertEquals(202, accepted.statusCode(), accepted.asString());
        jails.add(accepted.path("target"));
        Response finished = Operations.finished("bob", accepted.path("id"), Duration.ofSeconds(120));
        assertEquals("succeeded", finished.path("state"), finished.asString());
        return accepted.path("target");
    }

    /**
     * A VM of the mvm-test image (vmm-native's idle guest, which QEMU boots without KVM), stopped,
     * on {@code hostId}: the other hosts are cordoned while it is placed.
     */
    private static String createVmOn(String hostId) throws InterruptedException {
        awaitImage(VmImageBuilder.MVM_TEST);
        List<String> others = byHost.keySet().stream().filter(id -> !id.equals(hostId)).toList();
        for (String other : others) {
            assertEquals(202, Api.as("admin").post("/api/v1/admin/hosts/" + other + "/cordon").statusCode());
        }
        try {
            Response accepted = Api.as("bob").body(Map.of("name", "vm-" + UUID.randomUUID().toString().substring(0, 4),
                    "kind", "vm", "image", VmImageBuilder.MVM_TEST, "type", "v1.nano", "start", false))
                    .post("/api/v1/instances");
            assertEquals(202, accepted.statusCode(), accepted.asString());
            Response finished = Operations.finished("bob", accepted.path("id"), Duration.ofSeconds(120));
            assertEquals("succeeded", finished.path("state"), finished.asString());
            String vm = accepted.path("target");
            assertEquals(hostId, hostOf(vm), "the only host not cordoned takes the VM");
            return vm;
        } finally {
            for (String other : others) {
                assertEquals(202, Api.as("admin").post("/api/v1/admin/hosts/" + other + "/uncordon").statusCode());
            }
        }
    }
}

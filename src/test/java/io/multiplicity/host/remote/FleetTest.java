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
import io.restassured.response.Response;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
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
            String name = Api.as("bob").get("/api/v1/instances/" + jail).path("name");
            assertEquals(404, Api.as("carol").get("/api/v1/instances/" + jail).statusCode());
            assertEquals(404, Api.as("carol").body(Map.of("type", "serial")).post("/api/v1/instances/" + jail + "/console")
                    .statusCode());
            assertEquals(404, Api.as("carol").post("/api/v1/instances/" + jail + "/stop").statusCode());
            assertThat(Api.as("carol").get("/api/v1/instances?limit=100").<List<String>>path("items.id"))
                    .doesNotContain(jail);

            Response issued = Api.as("bob").body(Map.of("type", "serial")).post("/api/v1/instances/" + jail + "/console");
            assertEquals(201, issued.statusCode(), issued.asString());
            try (ConsoleClient console = ConsoleClient.connect(base.toString(), issued.path("url"))) {
                assertTrue(console.awaitControl(c -> c.contains("\"you\":\"writer\""), Duration.ofSeconds(15)),
                        "the viewer writes: " + console.controls());
                console.type("echo host-$((6*7)) $(hostname)\n");
                assertTrue(console.awaitOutput("host-42 " + name, Duration.ofSeconds(15)),
                        "jail " + name + " on host " + hostId + " answered: " + console.output());
            }
            assertEquals("running", Api.as("bob").get("/api/v1/instances/" + jail).path("state"));
        }
    }

    @Test
    @Order(5)
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
    @Order(6)
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
    @Order(7)
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
    @Order(8)
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

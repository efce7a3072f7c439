package io.multiplicity.instance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiplicity.agent.Agent;
import io.multiplicity.agent.jail.JailDriver;
import io.multiplicity.agent.jail.JailHost;
import io.multiplicity.agent.network.HostNetwork;
import io.multiplicity.agent.support.Command;
import io.multiplicity.host.contract.HostDriver;
import io.multiplicity.host.contract.InstanceStatus;
import io.multiplicity.support.Api;
import io.multiplicity.support.ConsoleClient;
import io.multiplicity.support.LocalJailProfile;
import io.quarkus.arc.Arc;
import io.quarkus.arc.ClientProxy;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.time.Duration;
import java.time.Instant;
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
 * Jails end to end through the API, on this machine's real ZFS, OCI runtime and bridge: what a
 * tenant sees inside, tenant isolation, the lifecycle, and a delete that leaves nothing behind.
 */
@QuarkusTest
@TestProfile(LocalJailProfile.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class JailApiTest {

    @TestHTTPResource("/")
    java.net.URL base;

    static String web;
    static String db;
    static String intruder;

    @BeforeAll
    static void requireJails() {
        String missing = JailHost.unavailableReason();
        if (missing != null) {
            System.err.println("SKIPPED JailApiTest: real jails cannot run on this machine: " + missing);
        }
        Assumptions.assumeTrue(missing == null, "real jails cannot run on this machine: " + missing);
    }

    @AfterAll
    static void removeHost() {
        if (ClientProxy.unwrap(Arc.container().instance(HostDriver.class).get()) instanceof Agent agent) {
            JailDriver linux = agent.jails();
            for (InstanceStatus status : linux.list()) {
                linux.destroy(status.id());
            }
            linux.network().removeAll();
            linux.storage().destroyPool();
        }
    }

    /** The jail driver inside the host agent (which also runs VMs). */
    static JailDriver driver() {
        HostDriver driver = ClientProxy.unwrap(Arc.container().instance(HostDriver.class).get());
        assertThat(driver).as("the local host runs the host agent").isInstanceOf(Agent.class);
        JailDriver linux = ((Agent) driver).jails();
        assertThat(linux.facts().kinds()).as("host problems: " + linux.facts().problems()).contains("jail");
        return linux;
    }

    @Test
    @Order(1)
    void aTenantsJailHasItsOwnHostnameAddressAndProcesses() {
        driver();
        web = createRunning("bob", "web");
        db = createRunning("bob", "db");
        intruder = createRunning("dave", "intruder");

        Response instance = Api.as("bob").get("/api/v1/instances/" + web);
        assertEquals("running", instance.path("state"));
        String address = instance.path("address");
        String name = instance.path("name");

        JailDriver driver = driver();
        assertEquals(name, driver.exec(UUID.fromString(web), "hostname").stdout().strip());
        assertThat(driver.exec(UUID.fromString(web), "ip", "-o", "-4", "addr", "show", "dev", "eth0").stdout())
                .contains(address + "/24");
        // (its boot may still be finishing: the metadata fetches' timeout watchers go within a second)
        List<String> processes = List.of();
        for (int attempt = 0; attempt < 30 && (processes.isEmpty() || processes.size() > 4); attempt++) {
            if (attempt > 0) {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
            processes = driver.exec(UUID.fromString(web), "ps", "-o", "pid,comm").stdout().lines().skip(1)
                    .map(String::strip).toList();
        }
        assertThat(processes.get(0)).matches("1\\s+init");
        assertThat(processes.size()).as("only its own processes: " + processes).isLessThanOrEqualTo(4);
    }

    @Test
    @Order(2)
    void jailsOfOneTenantReachEachOtherAndAnotherTenantsDoNot() {
        JailDriver driver = driver();
        String dbAddress = Api.as("bob").get("/api/v1/instances/" + db).path("address");
        String webAddress = Api.as("bob").get("/api/v1/instances/" + web).path("address");
        String intruderAddress = Api.as("dave").get("/api/v1/instances/" + intruder).path("address");
        assertTrue(ping(driver, web, dbAddress), "web reaches db");
        assertFalse(ping(driver, intruder, webAddress), "another tenant's jail does not reach web");
        assertFalse(ping(driver, web, intruderAddress), "web does not reach another tenant's jail");
    }

    @Test
    @Order(3)
    void stopStartAndRestartThroughTheApi() {
        JailDriver driver = driver();
        UUID id = UUID.fromString(web);
        long pid = driver.status(id).pid();
        succeed("bob", Api.as("bob").post("/api/v1/instances/" + web + "/stop"));
        assertEquals("stopped", Api.as("bob").get("/api/v1/instances/" + web).path("state"));
        assertEquals(InstanceStatus.State.STOPPED, driver.status(id).state());
        assertThat(Command.run("kill", "-0", Long.toString(pid)).ok()).as("init is gone").isFalse();

        succeed("bob", Api.as("bob").post("/api/v1/instances/" + web + "/start"));
        assertEquals("running", Api.as("bob").get("/api/v1/instances/" + web).path("state"));
        long started = driver.status(id).pid();
        succeed("bob", Api.as("bob").post("/api/v1/instances/" + web + "/restart"));
        assertEquals("running", Api.as("bob").get("/api/v1/instances/" + web).path("state"));
        assertThat(driver.status(id).pid()).as("a new init after restart").isNotEqualTo(started).isPositive();
        assertEquals("web", driver.exec(id, "hostname").stdout().strip().substring(0, 3));

        long pidBeforeResize = driver.status(id).pid();
        long quotaBefore = Api.as("bob").get("/api/v1/quota").<Number>path("resources.memoryMiB.allocated").longValue();
        succeed("bob", Api.as("bob").body(Map.of("memoryMiB", 128, "diskGiB", 2)).patch("/api/v1/instances/" + web));
        Response resized = Api.as("bob").get("/api/v1/instances/" + web);
        assertEquals(128, (int) resized.path("memoryMiB"));
        assertEquals("running", resized.path("state"), "a jail is resized live");
        assertEquals(pidBeforeResize, driver.status(id).pid(), "live: the same init keeps running");
        assertEquals(quotaBefore + 64, Api.as("bob").get("/api/v1/quota").<Number>path("resources.memoryMiB.allocated")
                .longValue());
        assertEquals("2147483648", driver.storage().get(driver.storage().instanceDataset(id), "quota"),
                "the dataset quota grew to the new disk size");
        Api.as("bob").body(Map.of("diskGiB", 1)).patch("/api/v1/instances/" + web).then().statusCode(400);

        long snapshotsBefore = Api.as("bob").get("/api/v1/quota").<Number>path("resources.snapshots.allocated").longValue();
        assertTrue(driver.exec(id, "sh", "-c", "echo one > /root/marker").ok());
        succeed("bob", Api.as("bob").body(Map.of("name", "s1")).post("/api/v1/instances/" + web + "/snapshot"));
        assertTrue(driver.exec(id, "sh", "-c", "echo two > /root/marker").ok());
        succeed("bob", Api.as("bob").body(Map.of("name", "s2")).post("/api/v1/instances/" + web + "/snapshot"));
        assertEquals(List.of("s1", "s2"), Api.as("bob").get("/api/v1/instances/" + web + "/snapshots").path("items.name"));
        assertEquals(snapshotsBefore + 2, Api.as("bob").get("/api/v1/quota")
                .<Number>path("resources.snapshots.allocated").longValue());
        Api.as("bob").body(Map.of("name", "s1")).post("/api/v1/instances/" + web + "/snapshot").then().statusCode(409);
        succeed("bob", Api.as("bob").body(Map.of("name", "s1")).post("/api/v1/instances/" + web + "/rollback"));
        assertEquals("one", driver.exec(id, "cat", "/root/marker").stdout().strip(), "rolled back to s1");
        assertEquals(List.of("s1"), Api.as("bob").get("/api/v1/instances/" + web + "/snapshots").path("items.name"),
                "the later snapshot went with the rollback");
        Api.as("bob").body(Map.of("name", "nope")).post("/api/v1/instances/" + web + "/rollback").then().statusCode(404);

        // a rebuild: the same instance, a fresh disk, the old disk's bytes and its snapshots gone
        Response before = Api.as("bob").get("/api/v1/instances/" + web);
        assertTrue(driver.exec(id, "sh", "-c", "echo precious > /root/marker").ok());
        Api.as("dave").body(Map.of()).post("/api/v1/instances/" + web + "/rebuild").then().statusCode(404);
        Api.as("bob").body(Map.of("image", "no-such-image")).post("/api/v1/instances/" + web + "/rebuild")
                .then().statusCode(400);
        assertEquals("precious", driver.exec(id, "cat", "/root/marker").stdout().strip(), "a refused rebuild changes nothing");
        succeed("bob", Api.as("bob").body(Map.of()).post("/api/v1/instances/" + web + "/rebuild"));
        Response after = Api.as("bob").get("/api/v1/instances/" + web);
        assertEquals("running", after.path("state"));
        assertEquals((String) before.path("name"), after.path("name"));
        assertEquals((String) before.path("address"), after.path("address"));
        assertFalse(driver.exec(id, "test", "-e", "/root/marker").ok(), "the old disk's bytes are gone");
        assertEquals(List.of(), Api.as("bob").get("/api/v1/instances/" + web + "/snapshots").path("items.name"));
        assertEquals(before.path("name").toString(), driver.exec(id, "hostname").stdout().strip());
    }

    @Test
    @Order(4)
    void consoleThroughTheGatewayWithSharingScrollbackAndAudit() throws Exception {
        String serial = ticket("bob", web, "serial");
        try (ConsoleClient bob = ConsoleClient.connect(base.toString(), serial)) {
            assertTrue(bob.awaitControl(c -> c.contains("\"you\":\"writer\""), Duration.ofSeconds(10)),
                    "the first viewer writes: " + bob.controls());
            bob.type("hostname\n");
            String name = Api.as("bob").get("/api/v1/instances/" + web).path("name");
            assertTrue(bob.awaitOutput(name, Duration.ofSeconds(10)), "hostname answered: " + bob.output());
            bob.control("{\"type\":\"resize\",\"cols\":132,\"rows\":43}");
            bob.type("stty size\n");
            assertTrue(bob.awaitOutput("43 132", Duration.ofSeconds(10)), "the writer's window reaches the jail: " + bob.output());
            bob.control("{\"type\":\"resize\",\"cols\":0,\"rows\":4000}");
            assertTrue(bob.awaitControl(c -> c.contains("resize wants cols and rows"), Duration.ofSeconds(5)), bob.controls().toString());

            try (ConsoleClient alice = ConsoleClient.connect(base.toString(), ticket("alice", web, "serial"))) {
                assertTrue(alice.awaitOutput(name, Duration.ofSeconds(10)), "a late viewer gets the scrollback");
                assertTrue(alice.awaitControl(c -> c.contains("\"you\":\"reader\""), Duration.ofSeconds(10)),
                        "a second viewer reads only: " + alice.controls());
                bob.type("echo shared-$((6*7))\n");
                assertTrue(alice.awaitOutput("shared-42", Duration.ofSeconds(10)), "both see the output");
                assertTrue(bob.awaitOutput("shared-42", Duration.ofSeconds(10)));
                alice.type("echo intruding\n");
                assertTrue(alice.awaitControl(c -> c.contains("read-only"), Duration.ofSeconds(5)), alice.controls().toString());
                alice.control("{\"type\":\"resize\",\"cols\":100,\"rows\":30}");
                Thread.sleep(300);
                bob.type("stty size\n");
                assertTrue(bob.awaitOccurrences("43 132", 2, Duration.ofSeconds(10)),
                        "a reader's window does not change the jail's: " + bob.output());
                alice.control("{\"type\":\"takeover\"}");
                assertTrue(bob.awaitControl(c -> c.contains("\"writer\":\"alice\"") && c.contains("\"you\":\"reader\""),
                        Duration.ofSeconds(5)), "the takeover is announced: " + bob.controls());
                alice.type("stty size\n");
                assertTrue(alice.awaitOutput("30 100", Duration.ofSeconds(10)),
                        "the jail takes the new writer's window: " + alice.output());
                alice.type("echo taken-$((7*6))\n");
                assertTrue(bob.awaitOutput("taken-42", Duration.ofSeconds(10)));
                alice.control("{\"type\":\"ping\"}");
                assertTrue(alice.awaitControl(c -> c.contains("pong"), Duration.ofSeconds(5)));
            }
        }
        try (ConsoleClient again = ConsoleClient.connect(base.toString(), ticket("bob", web, "serial"))) {
            assertTrue(again.awaitOutput("shared-42", Duration.ofSeconds(10)), "a reconnecting viewer gets the scrollback");
            assertTrue(again.awaitOutput("taken-42", Duration.ofSeconds(10)));
        }

        Instant settle = Instant.now().plusSeconds(10);
        List<Map<String, Object>> sessions = List.of();
        while (Instant.now().isBefore(settle)) {
            sessions = Api.as("alice").get("/api/v1/console-sessions?instance=" + web).path("items");
            if (sessions.size() >= 3 && sessions.stream().allMatch(s -> s.get("endedAt") != null)) {
                break;
            }
            Thread.sleep(200);
        }
        assertThat(sessions).hasSize(3);
        assertThat(sessions).allMatch(s -> s.get("endedAt") != null && s.get("clientAddress") != null);
        assertThat(sessions).extracting(s -> s.get("user")).contains("bob", "alice");
        assertThat(sessions).allMatch(s -> ((Number) s.get("bytesOut")).longValue() > 0);
        assertThat(sessions).anyMatch(s -> ((Number) s.get("bytesIn")).longValue() > 0);
        Api.as("bob").get("/api/v1/console-sessions").then().statusCode(403);
        String recorded = (String) sessions.get(sessions.size() - 1).get("id");
        String cast = Api.as("alice").accept("*/*").get("/api/v1/console-sessions/" + recorded + "/recording").then().statusCode(200)
                .extract().asString();
        assertThat(cast.lines().findFirst().orElseThrow()).contains("\"version\":2");
        assertThat(cast).contains("hostname");

        // A message over 64 KiB ends the connection (1009, too big, with the limit) and types nothing.
        String flood = "#".repeat(100 * 1024);
        try (ConsoleClient big = ConsoleClient.connect(base.toString(), ticket("bob", web, "serial"))) {
            assertTrue(big.awaitControl(c -> c.contains("\"you\":\"writer\""), Duration.ofSeconds(10)), big.controls().toString());
            try {
                big.type(flood);
            } catch (RuntimeException closedWhileSending) {
                // the server may close before the client has written it all
            }
            assertEquals(1009, big.closeCode(Duration.ofSeconds(10)), "too big: " + big.closeReason());
            assertThat(big.closeReason()).contains("at most 65536");
        }
        try (ConsoleClient after = ConsoleClient.connect(base.toString(), ticket("bob", web, "serial"))) {
            after.type("echo after-$((3*3))\n");
            assertTrue(after.awaitOutput("after-9", Duration.ofSeconds(10)), "the console goes on: " + after.output());
            assertThat(after.output()).doesNotContain("#".repeat(1000));
        }
    }

    @Test
    @Order(5)
    void badTicketsAreRefusedWithAClearCloseCodeAndAudited() throws Exception {
        long refusedBefore = refusals();
        String serial = ticket("bob", web, "serial");
        try (ConsoleClient first = ConsoleClient.connect(base.toString(), serial)) {
            assertTrue(first.awaitControl(c -> c.contains("writer"), Duration.ofSeconds(10)));
        }
        try (ConsoleClient reused = ConsoleClient.connect(base.toString(), serial)) {
            assertEquals(4409, reused.closeCode(Duration.ofSeconds(10)), "reused: " + reused.closeReason());
        }
        String forVnc = ticket("bob", web, "serial").replace("/serial/", "/vnc/");
        try (ConsoleClient wrongType = ConsoleClient.connect(base.toString(), forVnc)) {
            assertEquals(4403, wrongType.closeCode(Duration.ofSeconds(10)), "wrong type: " + wrongType.closeReason());
        }
        String late = ticket("bob", web, "serial");
        Thread.sleep(6000);
        try (ConsoleClient expired = ConsoleClient.connect(base.toString(), late)) {
            assertEquals(4410, expired.closeCode(Duration.ofSeconds(10)), "expired: " + expired.closeReason());
        }
        try (ConsoleClient forged = ConsoleClient.connect(base.toString(), "/ws/console/serial/" + "A".repeat(43))) {
            assertEquals(4401, forged.closeCode(Duration.ofSeconds(10)), "unknown: " + forged.closeReason());
        }
        Api.as("dave").body(Map.of("type", "serial")).post("/api/v1/instances/" + web + "/console")
                .then().statusCode(404);
        Api.as("bob").body(Map.of("type", "teletype")).post("/api/v1/instances/" + web + "/console")
                .then().statusCode(400);
        assertEquals(refusedBefore + 4, refusals(), "each refused attempt is audited");
        List<Map<String, Object>> audit = Api.as("admin").get("/api/v1/audit?action=console.refused&limit=10")
                .path("items");
        List<Object> codes = audit.stream().map(e -> ((Map<?, ?>) e.get("details")).get("closeCode"))
                .map(Object.class::cast).toList();
        assertThat(codes).contains(4409, 4403, 4410, 4401);
    }

    private static long refusals() {
        return Api.as("admin").get("/api/v1/audit?action=console.refused&limit=500").<List<?>>path("items").size();
    }

    private static String ticket(String user, String instance, String type) {
        Response issued = Api.as(user).body(Map.of("type", type)).post("/api/v1/instances/" + instance + "/console");
        assertEquals(201, issued.statusCode(), issued.asString());
        assertThat((String) issued.path("expiresAt")).isNotBlank();
        return issued.path("url");
    }

    @Test
    @Order(6)
    void deleteLeavesNothingOnTheHost() {
        JailDriver driver = driver();
        for (String[] owned : List.of(new String[] {"bob", web}, new String[] {"bob", db},
                new String[] {"dave", intruder})) {
            UUID id = UUID.fromString(owned[1]);
            long pid = driver.status(id).pid();
            succeed(owned[0], Api.as(owned[0]).delete("/api/v1/instances/" + owned[1]));
            Api.as(owned[0]).get("/api/v1/instances/" + owned[1]).then().statusCode(404);
            assertEquals(InstanceStatus.State.ABSENT, driver.status(id).state());
            assertFalse(driver.storage().exists(driver.storage().instanceDataset(id)), "dataset removed");
            assertFalse(driver.network().hasTraces(id), "veth removed");
            assertFalse(Command.run("ip", "link", "show", HostNetwork.hostInterface(id)).ok(), "no link left");
            assertFalse(Command.run("kill", "-0", Long.toString(pid)).ok(), "no process left");
            assertFalse(java.nio.file.Files.exists(java.nio.file.Path.of("/sys/fs/cgroup/memory",
                    JailDriver.cgroupsPath(id))), "no cgroup left");
        }
        assertThat(driver.list()).extracting(InstanceStatus::id)
                .doesNotContain(UUID.fromString(web), UUID.fromString(db), UUID.fromString(intruder));
    }

    private static boolean ping(JailDriver driver, String from, String address) {
        return driver.exec(UUID.fromString(from), "ping", "-c", "1", "-W", "2", address).ok();
    }

    static String createRunning(String user, String name) {
        Response accepted = Api.as(user).body(Map.of("name", name + "-" + UUID.randomUUID().toString().substring(0, 4),
                "kind", "jail", "image", "busybox", "type", "j1.nano", "start", true)).post("/api/v1/instances");
        assertEquals(202, accepted.statusCode(), accepted.asString());
        succeed(user, accepted);
        return accepted.path("target");
    }

    static void succeed(String user, Response accepted) {
        assertEquals(202, accepted.statusCode(), accepted.asString());
        String operation = accepted.path("id");
        Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
        Response response = null;
        while (Instant.now().isBefore(deadline)) {
            response = Api.as(user).get("/api/v1/operations/" + operation);
            String state = response.path("state");
            if (List.of("succeeded", "failed", "cancelled").contains(state)) {
                assertEquals("succeeded", state, response.asString());
                return;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        throw new AssertionError("operation did not finish: " + response.asString());
    }
}

package io.multiplicity.instance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiplicity.agent.Command;
import io.multiplicity.agent.JailHost;
import io.multiplicity.agent.LinuxHostDriver;
import io.multiplicity.agent.network.HostNetwork;
import io.multiplicity.host.HostDriver;
import io.multiplicity.host.InstanceStatus;
import io.multiplicity.support.Api;
import io.multiplicity.support.LocalJailProfile;
import io.quarkus.arc.Arc;
import io.quarkus.arc.ClientProxy;
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
        HostDriver driver = ClientProxy.unwrap(Arc.container().instance(HostDriver.class).get());
        if (driver instanceof LinuxHostDriver linux) {
            for (InstanceStatus status : linux.list()) {
                linux.destroy(status.id());
            }
            linux.network().removeAll();
            linux.storage().destroyPool();
        }
    }

    static LinuxHostDriver driver() {
        HostDriver driver = ClientProxy.unwrap(Arc.container().instance(HostDriver.class).get());
        assertThat(driver).as("the local host runs the jail driver").isInstanceOf(LinuxHostDriver.class);
        LinuxHostDriver linux = (LinuxHostDriver) driver;
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

        LinuxHostDriver driver = driver();
        assertEquals(name, driver.exec(UUID.fromString(web), "hostname").stdout().strip());
        assertThat(driver.exec(UUID.fromString(web), "ip", "-o", "-4", "addr", "show", "dev", "eth0").stdout())
                .contains(address + "/24");
        List<String> processes = driver.exec(UUID.fromString(web), "ps", "-o", "pid,comm").stdout().lines().skip(1)
                .map(String::strip).toList();
        assertThat(processes.get(0)).matches("1\\s+init");
        assertThat(processes.size()).as("only its own processes: " + processes).isLessThanOrEqualTo(4);
    }

    @Test
    @Order(2)
    void jailsOfOneTenantReachEachOtherAndAnotherTenantsDoNot() {
        LinuxHostDriver driver = driver();
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
        LinuxHostDriver driver = driver();
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
    }

    @Test
    @Order(4)
    void deleteLeavesNothingOnTheHost() {
        LinuxHostDriver driver = driver();
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
                    LinuxHostDriver.cgroupsPath(id))), "no cgroup left");
        }
        assertThat(driver.list()).extracting(InstanceStatus::id)
                .doesNotContain(UUID.fromString(web), UUID.fromString(db), UUID.fromString(intruder));
    }

    private static boolean ping(LinuxHostDriver driver, String from, String address) {
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

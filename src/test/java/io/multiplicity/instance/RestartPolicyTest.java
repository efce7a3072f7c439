package io.multiplicity.instance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiplicity.accounting.SettableClock;
import io.multiplicity.common.Clock;
import io.multiplicity.host.contract.InstanceStatus;
import io.multiplicity.support.Api;
import io.multiplicity.support.RecordingHostDriver;
import io.multiplicity.support.RecordingHostProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An instance meant to run that goes down is restarted by its restart policy: after a crash under
 * on-failure (the default) and always, after a power-off from inside under always only (under
 * on-failure it is then stopped for good), never under never; consecutive restarts back off.
 */
@QuarkusTest
@TestProfile(RecordingHostProfile.class)
class RestartPolicyTest {

    @Inject
    Reconciler reconciler;

    final SettableClock clock = new SettableClock(Instant.now());

    @AfterEach
    void realTime() {
        Clock.useSystem();
    }

    @Test
    void aCrashedInstanceIsRestartedWithABackoffUnderTheDefaultPolicy() {
        Clock.use(clock);
        String id = running("crashy", null);
        assertEquals("on-failure", Api.as("bob").get("/api/v1/instances/" + id).path("restartPolicy"));

        crash(id, InstanceStatus.State.CRASHED);
        settle(id);
        Response restarted = Api.as("bob").get("/api/v1/instances/" + id);
        assertEquals("running", restarted.path("state"), "restarted at once");
        assertEquals(1, (int) restarted.path("restarts"));
        assertThat(automaticStarts(id)).hasSize(1);
        assertThat(Api.as("alice").get("/api/v1/audit?limit=50").<List<String>>path("items.actor"))
                .as("the restart is in the audit log, by the policy").contains("restart policy");

        crash(id, InstanceStatus.State.CRASHED);
        reconciler.reconcile();
        assertEquals("crashed", Api.as("bob").get("/api/v1/instances/" + id).path("state"), "backing off");
        assertThat(automaticStarts(id)).hasSize(1);

        clock.advance(Duration.ofSeconds(11));
        settle(id);
        assertEquals("running", Api.as("bob").get("/api/v1/instances/" + id).path("state"));
        assertEquals(2, (int) Api.as("bob").get("/api/v1/instances/" + id).path("restarts"));

        crash(id, InstanceStatus.State.CRASHED);
        clock.advance(Duration.ofSeconds(11));
        reconciler.reconcile();
        assertEquals("crashed", Api.as("bob").get("/api/v1/instances/" + id).path("state"), "the wait doubles: 20 s");
        clock.advance(Duration.ofSeconds(10));
        settle(id);
        assertEquals(3, (int) Api.as("bob").get("/api/v1/instances/" + id).path("restarts"));

        clock.advance(Duration.ofMinutes(11));
        reconciler.reconcile();
        assertEquals(0, (int) Api.as("bob").get("/api/v1/instances/" + id).path("restarts"),
                "ten minutes of running start the count again");
    }

    @Test
    void aPowerOffFromInsideStopsItUnderOnFailureAndIsRestartedUnderAlways() {
        String quiet = running("quiet", null);
        crash(quiet, InstanceStatus.State.STOPPED);
        reconciler.reconcile();
        Response stopped = Api.as("bob").get("/api/v1/instances/" + quiet);
        assertEquals("stopped", stopped.path("state"));
        assertEquals("stopped", stopped.path("desiredState"), "the tenant's wish from inside");
        assertThat(automaticStarts(quiet)).isEmpty();

        String eager = running("eager", "always");
        crash(eager, InstanceStatus.State.STOPPED);
        settle(eager);
        assertEquals("running", Api.as("bob").get("/api/v1/instances/" + eager).path("state"));
        assertThat(automaticStarts(eager)).hasSize(1);
    }

    @Test
    void theNeverPolicyLeavesItDownAndThePolicyIsTheTenants() {
        String id = running("never", null);
        Api.as("bob").body(Map.of("restartPolicy", "sometimes")).patch("/api/v1/instances/" + id).then().statusCode(400);
        Api.as("dave").body(Map.of("restartPolicy", "never")).patch("/api/v1/instances/" + id).then().statusCode(404);
        Api.as("bob").body(Map.of("restartPolicy", "never")).patch("/api/v1/instances/" + id).then().statusCode(202);
        assertEquals("never", Api.as("bob").get("/api/v1/instances/" + id).path("restartPolicy"));
        crash(id, InstanceStatus.State.CRASHED);
        reconciler.reconcile();
        reconciler.reconcile();
        assertEquals("crashed", Api.as("bob").get("/api/v1/instances/" + id).path("state"));
        assertEquals("running", Api.as("bob").get("/api/v1/instances/" + id).path("desiredState"));
        assertThat(automaticStarts(id)).isEmpty();
    }

    private String running(String prefix, String policy) {
        Map<String, Object> body = new java.util.HashMap<>(Map.of("name", prefix + "-" + UUID.randomUUID().toString()
                .substring(0, 6), "kind", "jail", "image", "busybox", "type", "j1.nano", "start", true));
        if (policy != null) {
            body.put("restartPolicy", policy);
        }
        Response accepted = Api.as("bob").body(body).post("/api/v1/instances");
        assertEquals(202, accepted.statusCode(), accepted.asString());
        String id = accepted.path("target");
        settle(id);
        assertEquals("running", Api.as("bob").get("/api/v1/instances/" + id).path("state"));
        return id;
    }

    /** The host has it down, as a crash or as a power-off from inside. */
    private static void crash(String id, InstanceStatus.State state) {
        RecordingHostDriver.STATES.put(UUID.fromString(id), state);
    }

    /** A reconcile pass, then waits until no operation on the instance is under way. */
    private void settle(String id) {
        reconciler.reconcile();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (Api.as("bob").get("/api/v1/operations?target=" + id).<List<String>>path("items.state").stream()
                .anyMatch(state -> state.equals("pending") || state.equals("running"))) {
            assertThat(Instant.now()).as("its operations finish").isBefore(deadline);
        }
    }

    private static List<Object> automaticStarts(String id) {
        return Api.as("bob").get("/api/v1/operations?target=" + id).<List<Object>>path(
                "items.findAll { it.kind == 'instance.start' && it.requestedBy == 'restart policy' }");
    }
}

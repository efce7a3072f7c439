package io.multiplicity.operation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiplicity.support.Api;
import io.multiplicity.support.RecordingHostDriver;
import io.multiplicity.support.RecordingHostProfile;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import javax.sql.DataSource;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Durable operations: an operation whose worker died (its lease ran out) is taken over and ends
 * succeeded or failed with a reason, never stuck in running; cancellation; long operations keep
 * their lease.
 */
@QuarkusTest
@TestProfile(RecordingHostProfile.class)
class OperationRecoveryTest {

    @Inject
    EntityManager em;

    @Inject
    OperationWorker worker;

    @Inject
    DataSource dataSource;

    @BeforeEach
    @AfterEach
    void reset() {
        RecordingHostDriver.delay = Duration.ZERO;
        RecordingHostDriver.failProvisionWith = null;
    }

    @Test
    void anOperationWhoseWorkerDiedIsResumedAndSucceeds() {
        String instance = createRunning("recover");
        UUID operation = insertOrphan("instance.stop", UUID.fromString(instance), 1);

        Response finished = waitFor(operation.toString());
        assertEquals("succeeded", finished.path("state"), finished.asString());
        assertEquals(2, (int) finished.path("attempts"));
        assertEquals("stopped", Api.as("bob").get("/api/v1/instances/" + instance).path("state"));
        assertThat(workerOf(operation)).doesNotStartWith("crashed-replica");
    }

    @Test
    void anOperationThatKeepsLosingItsWorkerEndsFailedWithTheReason() {
        String instance = createRunning("give-up");
        UUID operation = insertOrphan("instance.restart", UUID.fromString(instance), 3);

        Response finished = waitFor(operation.toString());
        assertEquals("failed", finished.path("state"));
        assertThat((String) finished.path("error"))
                .contains("gave up after 3 attempts")
                .contains("crashed-replica")
                .contains("stopped renewing its lease");
    }

    @Test
    void anOperationNobodyCanRunEndsFailedWithTheReason() {
        String instance = createRunning("no-handler");
        UUID operation = insertOrphan("instance.teleport", UUID.fromString(instance), 1);

        Response finished = waitFor(operation.toString());
        assertEquals("failed", finished.path("state"));
        assertThat((String) finished.path("error")).contains("no handler for operations of kind instance.teleport");
    }

    @Test
    void aLongOperationKeepsItsLeaseAndIsNotRunTwice() {
        String instance = createRunning("slow");
        RecordingHostDriver.delay = Duration.ofSeconds(5); // longer than the test lease of 3 s
        String operation = Api.as("bob").post("/api/v1/instances/" + instance + "/stop").then().statusCode(202)
                .extract().path("id");
        Response finished = waitFor(operation);
        assertEquals("succeeded", finished.path("state"));
        assertEquals(1, (int) finished.path("attempts"));
    }

    /**
     * A heartbeat that comes late under load lets the lease of an operation this very worker runs
     * expire; the next poll must not claim it a second time (two runs of the create handler once
     * raced on the allocation ledger, and the loser's clean-up deleted the instance the winner had
     * started, which let one create too many past the host's capacity).
     */
    @Test
    void anOperationWhoseLeaseRanOutWhileThisWorkerRunsItIsNotClaimedAgain() {
        String instance = createRunning("late-heartbeat");
        RecordingHostDriver.delay = Duration.ofSeconds(3);
        String operation = Api.as("bob").post("/api/v1/instances/" + instance + "/stop").then().statusCode(202)
                .extract().path("id");
        Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
        while (!"running".equals(Api.as("bob").get("/api/v1/operations/" + operation).path("state"))) {
            assertThat(Instant.now()).as("the stop is claimed").isBefore(deadline);
        }
        QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery(
                "update operations set lease_until = now() - interval '1 second' where id = ?1")
                .setParameter(1, UUID.fromString(operation)).executeUpdate());
        worker.poll();

        Response finished = waitFor(operation);
        assertEquals("succeeded", finished.path("state"), finished.asString());
        assertEquals(1, (int) finished.path("attempts"), "run once");
        assertEquals("stopped", Api.as("bob").get("/api/v1/instances/" + instance).path("state"));
    }

    /**
     * Another replica takes an operation over (its lease ran out here under load) while this worker's
     * handler is about to finish: the takeover commits while this worker writes its outcome. The
     * stale holder must write nothing; the operation stays with the replica that took it over.
     */
    @Test
    void aStaleLeaseHolderCannotFinishAnOperationAnotherReplicaTookOver() throws Exception {
        String instance = createRunning("fenced");
        RecordingHostDriver.delay = Duration.ofSeconds(2);
        String operation = Api.as("bob").post("/api/v1/instances/" + instance + "/stop").then().statusCode(202)
                .extract().path("id");
        takeOverWhileTheHandlerReturns(operation);
        try {
            Response after = Api.as("bob").get("/api/v1/operations/" + operation);
            assertEquals("running", after.path("state"), "the stale holder finished it: " + after.asString());
            assertThat(workerOf(UUID.fromString(operation))).isEqualTo("other-replica:2:alive");
        } finally {
            endForTheTest(operation);
        }
    }

    /**
     * A start's "running" commits with the operation's success: a stale holder whose start returns
     * after another replica took the operation over records neither (the instance stays "starting"
     * for the replica that now holds the operation to settle).
     */
    @Test
    void aStaleLeaseHolderRecordsNeitherTheOutcomeNorTheStateItsStartReached() throws Exception {
        String instance = createRunning("fenced-start");
        waitFor(Api.as("bob").post("/api/v1/instances/" + instance + "/stop").then().statusCode(202)
                .extract().path("id"));
        RecordingHostDriver.delay = Duration.ofSeconds(2);
        String operation = Api.as("bob").post("/api/v1/instances/" + instance + "/start").then().statusCode(202)
                .extract().path("id");
        takeOverWhileTheHandlerReturns(operation);
        try {
            assertEquals("running", Api.as("bob").get("/api/v1/operations/" + operation).path("state"));
            assertEquals("starting", Api.as("bob").get("/api/v1/instances/" + instance).path("state"),
                    "the stale holder recorded the state its start reached");
        } finally {
            endForTheTest(operation);
        }
    }

    /**
     * Another replica takes the claimed operation over and commits while this worker's handler
     * returns (its host call takes the 2 s the test set) and writes its outcome.
     */
    private void takeOverWhileTheHandlerReturns(String operation) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
        while (!"running".equals(Api.as("bob").get("/api/v1/operations/" + operation).path("state"))) {
            assertThat(Instant.now()).as("the operation is claimed").isBefore(deadline);
        }
        try (Connection otherReplica = dataSource.getConnection()) {
            otherReplica.setAutoCommit(false);
            try (PreparedStatement takeOver = otherReplica.prepareStatement(
                    "update operations set worker_id = 'other-replica:2:alive', attempts = attempts + 1,"
                            + " lease_epoch = lease_epoch + 1, lease_until = now() + interval '1 hour'"
                            + " where id = ?::uuid and state = 'running'")) {
                takeOver.setString(1, operation);
                assertEquals(1, takeOver.executeUpdate());
            }
            // The handler here returns meanwhile and writes its outcome.
            Thread.sleep(3500);
            otherReplica.commit();
        }
        Thread.sleep(1500);
    }

    private void endForTheTest(String operation) {
        QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery(
                        "update operations set state = 'failed', error = 'test over', lease_until = null,"
                                + " finished_at = now() where id = ?1")
                .setParameter(1, UUID.fromString(operation)).executeUpdate());
    }

    @Test
    void cancellingACreateLeavesNoInstanceBehind() {
        RecordingHostDriver.delay = Duration.ofMillis(1500);
        String name = "cancel-" + UUID.randomUUID().toString().substring(0, 6);
        Response accepted = Api.as("bob").body(Map.of("name", name, "kind", "jail", "image", "busybox",
                "type", "j1.nano")).post("/api/v1/instances");
        assertEquals(202, accepted.statusCode());
        String operation = accepted.path("id");
        String instance = accepted.path("target");
        Api.as("bob").post("/api/v1/operations/" + operation + "/cancel").then().statusCode(202);

        Response finished = waitFor(operation);
        assertEquals("cancelled", finished.path("state"));
        Api.as("bob").get("/api/v1/instances/" + instance).then().statusCode(404);
        assertThat(RecordingHostDriver.STATES).doesNotContainKey(UUID.fromString(instance));
        List<String> names = Api.as("bob").get("/api/v1/instances?limit=500").path("items.name");
        assertThat(names).doesNotContain(name);
    }

    @Test
    void aFailedCreateLeavesNoInstanceBehindAndSaysWhy() {
        RecordingHostDriver.failProvisionWith = "the image busybox has no snapshot v1";
        Response accepted = Api.as("bob").body(Map.of("name", "fails-" + UUID.randomUUID().toString().substring(0, 6),
                "kind", "jail", "image", "busybox", "type", "j1.nano")).post("/api/v1/instances");
        String operation = accepted.path("id");
        Response finished = waitFor(operation);
        assertEquals("failed", finished.path("state"));
        assertEquals("the image busybox has no snapshot v1", finished.path("error"));
        Api.as("bob").get("/api/v1/instances/" + accepted.path("target")).then().statusCode(404);
    }

    private String createRunning(String prefix) {
        Response accepted = Api.as("bob").body(Map.of("name", prefix + "-" + UUID.randomUUID().toString().substring(0, 6),
                "kind", "jail", "image", "busybox", "type", "j1.nano", "start", true)).post("/api/v1/instances");
        assertEquals(202, accepted.statusCode(), accepted.asString());
        assertEquals("succeeded", waitFor(accepted.path("id")).path("state"));
        return accepted.path("target");
    }

    /** Writes what a replica that crashed mid-operation leaves behind: running, lease expired. */
    private UUID insertOrphan(String kind, UUID instance, int attempts) {
        UUID id = UUID.randomUUID();
        QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery(
                        "insert into operations (id, tenant_id, kind, target_type, target_id, state, progress, attempts,"
                                + " worker_id, lease_until, created_at, started_at, updated_at, requested_by_name)"
                                + " select ?1, tenant_id, ?2, 'instance', id, 'running', 30, ?3, 'crashed-replica:1:dead',"
                                + " now() - interval '1 second', now(), now(), now(), 'bob' from instances where id = ?4")
                .setParameter(1, id)
                .setParameter(2, kind)
                .setParameter(3, attempts)
                .setParameter(4, instance)
                .executeUpdate());
        return id;
    }

    private String workerOf(UUID operation) {
        return QuarkusTransaction.requiringNew().call(() -> (String) em.createNativeQuery(
                "select worker_id from operations where id = ?1").setParameter(1, operation).getSingleResult());
    }

    static Response waitFor(String operation) {
        return io.multiplicity.support.Operations.finished("bob", operation, Duration.ofSeconds(40));
    }
}

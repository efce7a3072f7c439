package io.multiplicity.instance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiplicity.host.contract.InstanceStatus;
import io.multiplicity.support.Api;
import io.multiplicity.support.RecordingHostDriver;
import io.multiplicity.support.RecordingHostProfile;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The reconciler removes only what the database says is deleted, read right before: an instance
 * the host has and the database has never heard of (a restored or emptied database) is quarantined
 * and shown to platform admins, never destroyed.
 */
@QuarkusTest
@TestProfile(RecordingHostProfile.class)
class ReconcilerTest {

    @Inject
    Reconciler reconciler;

    @Inject
    EntityManager em;

    @Test
    void anInstanceTheDatabaseHasNeverHeardOfIsQuarantinedNotDestroyed() {
        UUID stranger = UUID.randomUUID();
        RecordingHostDriver.STATES.put(stranger, InstanceStatus.State.RUNNING);
        try {
            reconciler.reconcile();
            reconciler.reconcile();

            assertThat(RecordingHostDriver.STATES).as("the host still has it").containsKey(stranger);
            Response quarantine = Api.as("admin").get("/api/v1/admin/hosts/" + localHost() + "/quarantine");
            assertEquals(200, quarantine.statusCode(), quarantine.asString());
            List<Map<String, Object>> items = quarantine.path("items");
            assertThat(items).filteredOn(item -> stranger.toString().equals(item.get("instanceId")))
                    .singleElement()
                    .satisfies(item -> assertThat(item).containsEntry("state", "running")
                            .containsKeys("firstSeen", "lastSeen"));
            Api.as("bob").get("/api/v1/admin/hosts/" + localHost() + "/quarantine").then().statusCode(403);
        } finally {
            RecordingHostDriver.STATES.remove(stranger);
        }
        reconciler.reconcile();
        List<String> left = Api.as("admin").get("/api/v1/admin/hosts/" + localHost() + "/quarantine").path("items.instanceId");
        assertThat(left).as("a record goes once the host no longer has the instance").doesNotContain(stranger.toString());
    }

    @Test
    void theLeftoversOfAnInstanceTheDatabaseSaysIsDeletedAreRemoved() {
        String instance = createStopped("leftover");
        UUID id = UUID.fromString(instance);
        assertThat(RecordingHostDriver.STATES).containsKey(id);
        // As a delete whose host call never came would leave it: deleted in the database, still on the host.
        QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery(
                "update instances set deleted_at = now(), desired_state = 'deleted', actual_state = 'deleted'"
                        + " where id = ?1").setParameter(1, id).executeUpdate());

        reconciler.reconcile();

        assertThat(RecordingHostDriver.STATES).as("the leftovers are removed").doesNotContainKey(id);
        List<String> quarantined = Api.as("admin").get("/api/v1/admin/hosts/" + localHost() + "/quarantine")
                .path("items.instanceId");
        assertThat(quarantined).doesNotContain(instance);
    }

    @Test
    void aLiveInstanceOfTheHostIsLeftAlone() {
        String instance = createStopped("alive");
        reconciler.reconcile();
        assertThat(RecordingHostDriver.STATES).containsKey(UUID.fromString(instance));
        assertEquals("stopped", Api.as("bob").get("/api/v1/instances/" + instance).path("state"));
    }

    private static String localHost() {
        return Api.as("admin").get("/api/v1/admin/hosts").path("items.find { it.local }.id");
    }

    private static String createStopped(String prefix) {
        Response accepted = Api.as("bob").body(Map.of("name", prefix + "-" + UUID.randomUUID().toString().substring(0, 6),
                "kind", "jail", "image", "busybox", "type", "j1.nano")).post("/api/v1/instances");
        assertEquals(202, accepted.statusCode(), accepted.asString());
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (!"succeeded".equals(Api.as("bob").get("/api/v1/operations/" + accepted.path("id")).path("state"))) {
            assertThat(Instant.now()).as("the create finishes").isBefore(deadline);
        }
        return accepted.path("target");
    }
}

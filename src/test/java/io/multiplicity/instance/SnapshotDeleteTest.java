package io.multiplicity.instance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiplicity.support.Api;
import io.multiplicity.support.RecordingHostDriver;
import io.multiplicity.support.RecordingHostProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A tenant at its snapshots limit deletes a snapshot and takes a new one: the deleted one is
 * destroyed on its host and stops counting. (There was no way to delete a snapshot.)
 */
@QuarkusTest
@TestProfile(RecordingHostProfile.class)
class SnapshotDeleteTest {

    @Test
    void aTenantAtItsSnapshotLimitDeletesOneAndTakesAnother() {
        String instance = finished(Api.as("bob").body(Map.of("name", "snaps-" + UUID.randomUUID().toString().substring(0, 6),
                "kind", "jail", "image", "busybox", "type", "j1.nano")).post("/api/v1/instances")).path("target");
        String acme = Api.as("admin").get("/api/v1/admin/tenants").path("items.find { it.slug == 'acme' }.id");
        long taken = Api.as("bob").get("/api/v1/quota").then().statusCode(200).extract()
                .<Integer>path("resources.snapshots.allocated").longValue();
        Api.as("admin").body(Map.of("snapshots", taken + 1)).put("/api/v1/admin/quotas/" + acme).then().statusCode(202);
        try {
            finished(Api.as("bob").body(Map.of("name", "first")).post("/api/v1/instances/" + instance + "/snapshot"));
            Response full = Api.as("bob").body(Map.of("name", "second")).post("/api/v1/instances/" + instance + "/snapshot");
            assertEquals(409, full.statusCode(), full.asString());
            assertEquals("quota_exceeded", full.path("error"));

            Api.as("dave").delete("/api/v1/instances/" + instance + "/snapshots/first").then().statusCode(404);
            Api.as("bob").delete("/api/v1/instances/" + instance + "/snapshots/nothing").then().statusCode(404);
            Response deleted = finished(Api.as("bob").delete("/api/v1/instances/" + instance + "/snapshots/first"));
            assertEquals("instance.snapshot.delete", deleted.path("kind"));
            assertThat(RecordingHostDriver.DELETED_SNAPSHOTS).contains(instance + "@first");
            List<String> left = Api.as("bob").get("/api/v1/instances/" + instance + "/snapshots").path("items.name");
            assertThat(left).doesNotContain("first");

            finished(Api.as("bob").body(Map.of("name", "second")).post("/api/v1/instances/" + instance + "/snapshot"));
        } finally {
            Api.as("admin").body(Map.of()).put("/api/v1/admin/quotas/" + acme).then().statusCode(202);
        }
    }

    /** Waits for the operation an accepted request started; returns the finished operation. */
    private static Response finished(Response accepted) {
        assertEquals(202, accepted.statusCode(), accepted.asString());
        String operation = accepted.path("id");
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        Response read = Api.as("bob").get("/api/v1/operations/" + operation);
        while (!List.of("succeeded", "failed", "cancelled").contains((String) read.path("state"))) {
            assertThat(Instant.now()).as("operation " + operation + " finishes").isBefore(deadline);
            read = Api.as("bob").get("/api/v1/operations/" + operation);
        }
        assertEquals("succeeded", read.path("state"), read.asString());
        return read;
    }
}

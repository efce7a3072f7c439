package io.multiplicity.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiplicity.support.Api;
import io.multiplicity.support.RecordingHostProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Retried creates with an Idempotency-Key, and updates conditional on an ETag, as a script would send them. */
@QuarkusTest
@TestProfile(RecordingHostProfile.class)
class SafeRetriesTest {

    static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static Map<String, Object> jail(String name) {
        return Map.of("name", name, "kind", "jail", "image", "busybox", "type", "j1.nano");
    }

    static List<String> instancesNamed(String user, String name) {
        return Api.as(user).get("/api/v1/instances?limit=500").path("items.findAll { it.name == '" + name + "' }.id");
    }

    static void waitFor(String user, String operation) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (Instant.now().isBefore(deadline)) {
            String state = Api.as(user).get("/api/v1/operations/" + operation).path("state");
            if (List.of("succeeded", "failed", "cancelled").contains(state)) {
                assertEquals("succeeded", state);
                return;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("operation " + operation + " did not finish");
    }

    @Test
    void aRetriedCreateAnswersTheFirstOperationAndLeavesOneInstance() {
        String name = unique("retry");
        String key = UUID.randomUUID().toString();
        Response first = Api.as("bob").header("Idempotency-Key", key).body(jail(name)).post("/api/v1/instances");
        assertEquals(202, first.statusCode(), first.asString());
        Response retry = Api.as("bob").header("Idempotency-Key", key).body(jail(name)).post("/api/v1/instances");
        assertEquals(202, retry.statusCode(), retry.asString());
        assertEquals((String) first.path("id"), retry.path("id"));
        assertEquals((String) first.path("target"), retry.path("target"));
        assertEquals(first.header("Location"), retry.header("Location"));
        assertEquals("true", retry.header("Idempotency-Replayed"));
        assertThat(first.header("Idempotency-Replayed")).isNull();
        assertThat(instancesNamed("bob", name)).containsExactly((String) first.path("target"));

        // the same key with another body is refused and creates nothing
        String other = unique("other");
        Response reused = Api.as("bob").header("Idempotency-Key", key).body(jail(other)).post("/api/v1/instances");
        assertEquals(422, reused.statusCode(), reused.asString());
        assertEquals("idempotency_key_reused", reused.path("error"));
        assertThat((String) reused.path("message")).isNotBlank();
        assertThat(instancesNamed("bob", other)).isEmpty();

        // keys belong to their user: alice's request with bob's key is hers alone
        Response alices = Api.as("alice").header("Idempotency-Key", key).body(jail(other)).post("/api/v1/instances");
        assertEquals(202, alices.statusCode(), alices.asString());
        assertThat((String) alices.path("id")).isNotEqualTo(first.path("id"));
    }

    @Test
    void concurrentRetriesCreateOneInstance() {
        String name = unique("race");
        String key = UUID.randomUUID().toString();
        Api.as("dave").get("/api/v1/me").then().statusCode(200);
        List<CompletableFuture<Response>> sent = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            sent.add(CompletableFuture.supplyAsync(() -> Api.as("dave").header("Idempotency-Key", key).body(jail(name))
                    .post("/api/v1/instances")));
        }
        List<String> operations = sent.stream().map(CompletableFuture::join).map(response -> {
            assertEquals(202, response.statusCode(), response.asString());
            return (String) response.path("id");
        }).distinct().toList();
        assertThat(operations).hasSize(1);
        assertThat(instancesNamed("dave", name)).hasSize(1);
    }

    @Test
    void aRefusedCreateKeepsNoKeySoItCanBeRetried() {
        String key = UUID.randomUUID().toString();
        Map<String, Object> bad = Map.of("name", unique("bad"), "kind", "jail", "image", "busybox", "type", "no-such-type");
        Response refused = Api.as("bob").header("Idempotency-Key", key).body(bad).post("/api/v1/instances");
        assertThat(refused.statusCode()).isBetween(400, 499);
        Response again = Api.as("bob").header("Idempotency-Key", key).body(bad).post("/api/v1/instances");
        assertEquals(refused.statusCode(), again.statusCode());
        assertThat(again.header("Idempotency-Replayed")).isNull();
        Response tooLong = Api.as("bob").header("Idempotency-Key", "k".repeat(256)).body(jail(unique("long")))
                .post("/api/v1/instances");
        assertEquals(400, tooLong.statusCode());
        assertEquals("invalid_idempotency_key", tooLong.path("error"));
    }

    @Test
    void aRetriedTokenCreationNamesTheSameTokenWithoutItsSecret() {
        String key = UUID.randomUUID().toString();
        Map<String, Object> body = Map.of("name", unique("retried"), "role", "tenant-viewer");
        Response first = Api.as("alice").header("Idempotency-Key", key).body(body).post("/api/v1/tokens");
        assertEquals(201, first.statusCode(), first.asString());
        Response retry = Api.as("alice").header("Idempotency-Key", key).body(body).post("/api/v1/tokens");
        assertEquals(201, retry.statusCode(), retry.asString());
        assertEquals((String) first.path("token.id"), retry.path("token.id"));
        assertThat((String) first.path("secret")).startsWith("mpt_");
        assertThat((Object) retry.path("secret")).isNull();
        assertThat(retry.asString()).doesNotContain((String) first.path("secret"));
    }

    @Test
    void aRetriedSnapshotAndImageCreateCreateOnce() {
        String operation = Api.as("bob").body(jail(unique("snap"))).post("/api/v1/instances").then().statusCode(202)
                .extract().path("id");
        waitFor("bob", operation);
        String instance = Api.as("bob").get("/api/v1/operations/" + operation).path("target");
        String key = UUID.randomUUID().toString();
        Map<String, Object> snapshot = Map.of("name", unique("s"));
        String taken = Api.as("bob").header("Idempotency-Key", key).body(snapshot)
                .post("/api/v1/instances/" + instance + "/snapshot").then().statusCode(202).extract().path("id");
        waitFor("bob", taken);
        Response retried = Api.as("bob").header("Idempotency-Key", key).body(snapshot)
                .post("/api/v1/instances/" + instance + "/snapshot");
        assertEquals(202, retried.statusCode(), retried.asString());
        assertEquals(taken, retried.path("id"));
        List<String> names = Api.as("bob").get("/api/v1/instances/" + instance + "/snapshots").path("items.name");
        assertThat(names).containsOnlyOnce((String) snapshot.get("name"));

        String imageKey = UUID.randomUUID().toString();
        Map<String, Object> image = Map.of("name", unique("img"), "kind", "jail", "os", "busybox");
        String imageId = Api.as("bob").header("Idempotency-Key", imageKey).body(image).post("/api/v1/images")
                .then().statusCode(201).extract().path("id");
        Response again = Api.as("bob").header("Idempotency-Key", imageKey).body(image).post("/api/v1/images");
        assertEquals(201, again.statusCode(), again.asString());
        assertEquals(imageId, again.path("id"));
        List<String> images = Api.as("bob").get("/api/v1/images?limit=500")
                .path("items.findAll { it.name == '" + image.get("name") + "' }.id");
        assertThat(images).containsExactly(imageId);
    }

    @Test
    void aPatchWithAStaleIfMatchAnswers412AndChangesNothing() {
        String operation = Api.as("bob").body(jail(unique("etag"))).post("/api/v1/instances").then().statusCode(202)
                .extract().path("id");
        waitFor("bob", operation);
        String instance = Api.as("bob").get("/api/v1/operations/" + operation).path("target");
        Response read = Api.as("bob").get("/api/v1/instances/" + instance);
        String etag = read.header("ETag");
        assertThat(etag).isNotBlank();

        // alice changes it in between
        Response alices = Api.as("alice").header("If-Match", etag).body(Map.of("memoryMiB", 96))
                .patch("/api/v1/instances/" + instance);
        assertEquals(202, alices.statusCode(), alices.asString());
        waitFor("alice", alices.path("id"));
        String newer = Api.as("bob").get("/api/v1/instances/" + instance).header("ETag");
        assertThat(newer).isNotEqualTo(etag).isEqualTo(alices.header("ETag"));

        // bob's change, conditional on what he read, is refused and changes nothing
        Response stale = Api.as("bob").header("If-Match", etag).body(Map.of("memoryMiB", 128))
                .patch("/api/v1/instances/" + instance);
        assertEquals(412, stale.statusCode(), stale.asString());
        assertEquals("precondition_failed", stale.path("error"));
        assertEquals(newer, stale.path("details.etag"));
        Response now = Api.as("bob").get("/api/v1/instances/" + instance);
        assertEquals(96, (int) now.path("memoryMiB"));
        assertEquals(newer, now.header("ETag"));

        // with the current ETag it goes through
        Response fresh = Api.as("bob").header("If-Match", newer).body(Map.of("memoryMiB", 128))
                .patch("/api/v1/instances/" + instance);
        assertEquals(202, fresh.statusCode(), fresh.asString());
    }
}

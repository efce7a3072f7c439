package io.multiplicity.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiplicity.support.Api;
import io.multiplicity.support.RecordingHostProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Bad input gets a 4xx in the one error shape and writes nothing to the database. */
@QuarkusTest
@TestProfile(RecordingHostProfile.class)
class BadInputTest {

    @Inject
    EntityManager em;

    record Bad(String why, String method, String path, String body, int status, String error) {
    }

    static final String LONG_NAME = "a".repeat(300);

    static List<Bad> cases() {
        return List.of(
                new Bad("malformed JSON", "POST", "/api/v1/instances", "{\"name\": \"x\", ", 400, "malformed_json"),
                new Bad("not an object", "POST", "/api/v1/instances", "[1, 2]", 400, "invalid_body"),
                new Bad("empty body", "POST", "/api/v1/instances", "", 400, null),
                new Bad("unknown field", "POST", "/api/v1/instances",
                        "{\"name\":\"web\",\"kind\":\"jail\",\"image\":\"busybox\",\"type\":\"j1.nano\",\"colour\":\"red\"}",
                        400, "unknown_field"),
                new Bad("300-character name", "POST", "/api/v1/instances",
                        "{\"name\":\"" + LONG_NAME + "\",\"kind\":\"jail\",\"image\":\"busybox\",\"type\":\"j1.nano\"}",
                        400, "validation_failed"),
                new Bad("name that is no DNS label", "POST", "/api/v1/instances",
                        "{\"name\":\"Web_Server!\",\"kind\":\"jail\",\"image\":\"busybox\",\"type\":\"j1.nano\"}",
                        400, "validation_failed"),
                new Bad("negative memory", "POST", "/api/v1/instances",
                        "{\"name\":\"web\",\"kind\":\"jail\",\"image\":\"busybox\",\"vcpus\":1,\"memoryMiB\":-5,\"diskGiB\":1}",
                        400, "validation_failed"),
                new Bad("absurd vCPUs", "POST", "/api/v1/instances",
                        "{\"name\":\"web\",\"kind\":\"jail\",\"image\":\"busybox\",\"vcpus\":100000,\"memoryMiB\":64,\"diskGiB\":1}",
                        400, "validation_failed"),
                new Bad("size beyond any integer", "POST", "/api/v1/instances",
                        "{\"name\":\"web\",\"kind\":\"jail\",\"image\":\"busybox\",\"vcpus\":1,\"memoryMiB\":64,\"diskGiB\":99999999999999999999}",
                        400, null),
                new Bad("zero disk", "POST", "/api/v1/instances",
                        "{\"name\":\"web\",\"kind\":\"jail\",\"image\":\"busybox\",\"vcpus\":1,\"memoryMiB\":64,\"diskGiB\":0}",
                        400, "validation_failed"),
                new Bad("size given as text", "POST", "/api/v1/instances",
                        "{\"name\":\"web\",\"kind\":\"jail\",\"image\":\"busybox\",\"vcpus\":\"many\",\"memoryMiB\":64,\"diskGiB\":1}",
                        400, null),
                new Bad("non-existent instance type", "POST", "/api/v1/instances",
                        "{\"name\":\"web\",\"kind\":\"jail\",\"image\":\"busybox\",\"type\":\"j9.galactic\"}",
                        400, "unknown_instance_type"),
                new Bad("VM type for a jail", "POST", "/api/v1/instances",
                        "{\"name\":\"web\",\"kind\":\"jail\",\"image\":\"busybox\",\"type\":\"v1.small\"}",
                        400, "validation_failed"),
                new Bad("unknown kind", "POST", "/api/v1/instances",
                        "{\"name\":\"web\",\"kind\":\"zone\",\"image\":\"busybox\",\"type\":\"j1.nano\"}",
                        400, "validation_failed"),
                new Bad("neither type nor sizes", "POST", "/api/v1/instances",
                        "{\"name\":\"web\",\"kind\":\"jail\",\"image\":\"busybox\"}", 400, "validation_failed"),
                new Bad("missing name", "POST", "/api/v1/instances",
                        "{\"kind\":\"jail\",\"image\":\"busybox\",\"type\":\"j1.nano\"}", 400, "validation_failed"),
                new Bad("image path trick", "POST", "/api/v1/instances",
                        "{\"name\":\"web\",\"kind\":\"jail\",\"image\":\"../../etc\",\"type\":\"j1.nano\"}",
                        400, "validation_failed"),
                new Bad("another tenant", "POST", "/api/v1/instances",
                        "{\"name\":\"web\",\"kind\":\"jail\",\"image\":\"busybox\",\"type\":\"j1.nano\",\"tenant\":\"globex\"}",
                        403, "forbidden"),
                new Bad("id that is no UUID", "GET", "/api/v1/instances/not-a-uuid", null, 404, null),
                new Bad("bad cursor", "GET", "/api/v1/instances?cursor=%%%", null, 400, null),
                new Bad("limit too large", "GET", "/api/v1/instances?limit=100000", null, 400, "validation_failed"),
                new Bad("unknown operation state", "GET", "/api/v1/operations?state=sleeping", null, 400,
                        "validation_failed"),
                new Bad("unknown action", "POST", "/api/v1/instances/" + UUID.randomUUID() + "/explode", null, 404, null),
                new Bad("wrong media type", "POST", "/api/v1/instances", null, 415, "unsupported_media_type"));
    }

    @TestFactory
    Stream<DynamicTest> badInputIsRefusedAndChangesNothing() {
        return cases().stream().map(bad -> DynamicTest.dynamicTest(bad.why(), () -> {
            Map<String, Long> before = counts();
            var request = Api.as("bob");
            if (bad.why().equals("wrong media type")) {
                request = request.contentType("text/plain").body("name=web");
            } else if (bad.body() != null) {
                request = request.body(bad.body());
            }
            Response response = request.request(bad.method(), bad.path());
            assertEquals(bad.status(), response.statusCode(), bad.why() + ": " + response.asString());
            assertThat(response.contentType()).startsWith("application/json");
            assertThat((String) response.path("error")).as("error code").isNotBlank();
            assertThat((String) response.path("message")).as("message").isNotBlank();
            if (bad.error() != null) {
                assertEquals(bad.error(), response.path("error"), response.asString());
            }
            assertEquals(before, counts(), "the database changed after: " + bad.why());
        }));
    }

    private Map<String, Long> counts() {
        return Map.of(
                "instances", count("instances"),
                "operations", count("operations"),
                "audit_log", count("audit_log"),
                "events", count("events"),
                "tenant_networks", count("tenant_networks"));
    }

    private long count(String table) {
        return ((Number) em.createNativeQuery("select count(*) from " + table).getSingleResult()).longValue();
    }
}

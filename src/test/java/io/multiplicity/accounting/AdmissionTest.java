package io.multiplicity.accounting;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.multiplicity.support.Api;
import io.multiplicity.support.RecordingHostDriver;
import io.multiplicity.support.RecordingHostProfile;
import io.multiplicity.support.TestKeycloak;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Atomic admission: a burst of 200 concurrent creates against a quota that allows exactly N, and
 * against a host's allocatable memory at an overcommit ratio of 1.5. Exactly N pass, the others are
 * refused naming the limit, nothing deadlocks and nothing is left reserved by a refused create.
 */
@QuarkusTest
@TestProfile(RecordingHostProfile.class)
class AdmissionTest {

    static final int BURST = 200;
    static final ObjectMapper JSON = new ObjectMapper();

    @TestHTTPResource("/")
    URL base;

    @Test
    void concurrentCreatesNeverOvershootTheTenantQuota() throws Exception {
        RecordingHostDriver.reset();
        String globex = tenantId("globex");
        long before = Api.as("carol").get("/api/v1/quota").then().statusCode(200).extract()
                .<Integer>path("resources.instances.allocated").longValue();
        int allowed = 7;
        Api.as("admin").body(Map.of("instances", before + allowed)).put("/api/v1/admin/quotas/" + globex)
                .then().statusCode(202);

        List<HttpResponse<String>> answers = burst("dave", false);

        List<HttpResponse<String>> accepted = answers.stream().filter(r -> r.statusCode() == 202).toList();
        List<HttpResponse<String>> refused = answers.stream().filter(r -> r.statusCode() == 409).toList();
        assertEquals(allowed, accepted.size(), "accepted; first refusal: "
                + refused.stream().map(HttpResponse::body).findFirst().orElse("none"));
        assertEquals(BURST - allowed, refused.size(), "refused");
        for (HttpResponse<String> answer : refused) {
            JsonNode body = JSON.readTree(answer.body());
            assertEquals("quota_exceeded", body.get("error").asText());
            assertEquals("instances", body.get("details").get("resource").asText());
            assertThat(body.get("message").asText()).contains("instances quota would be exceeded");
        }
        Response quota = Api.as("carol").get("/api/v1/quota");
        assertEquals(before + allowed, quota.<Integer>path("resources.instances.allocated").longValue());
        Response adminView = Api.as("admin").get("/api/v1/admin/quotas/" + globex);
        assertEquals(quota.<Map<String, Object>>path("resources"), adminView.<Map<String, Object>>path("resources"));

        Api.as("admin").body(Map.of()).put("/api/v1/admin/quotas/" + globex).then().statusCode(202);
    }

    @Test
    void concurrentStartsNeverOvershootTheHostsAllocatableMemory() throws Exception {
        RecordingHostDriver.reset();
        Response hosts = Api.as("admin").get("/api/v1/admin/hosts");
        String host = hosts.path("items.find { it.name == 'test-host' }.id");
        Api.as("admin").body(Map.of("memoryRatio", 1.5, "cpuRatio", 64)).patch("/api/v1/admin/hosts/" + host)
                .then().statusCode(202);
        String acme = tenantId("acme");
        Api.as("admin").body(Map.of("instances", 100_000, "vcpus", 100_000, "memoryMiB", 1L << 30,
                "diskGiB", 1L << 30, "addresses", 250)).put("/api/v1/admin/quotas/" + acme).then().statusCode(202);

        Response view = Api.as("admin").get("/api/v1/admin/hosts/" + host);
        long physical = view.<Number>path("memoryMiB.physical").longValue();
        long reserved = view.<Number>path("memoryMiB.reserved").longValue();
        long allocatable = view.<Number>path("memoryMiB.allocatable").longValue();
        assertEquals((long) (physical * 1.5) - reserved, allocatable, "allocatable = physical × 1.5 − reserve");
        long allocated = view.<Number>path("memoryMiB.allocated").longValue();
        long fits = (allocatable - allocated) / 1024;
        assertThat(fits).as("the burst must overflow the host").isLessThan(BURST).isPositive();

        List<HttpResponse<String>> answers = burst("bob", true);

        long accepted = answers.stream().filter(r -> r.statusCode() == 202).count();
        List<HttpResponse<String>> refused = answers.stream().filter(r -> r.statusCode() == 409).toList();
        assertEquals(fits, accepted);
        assertEquals(BURST - fits, refused.size());
        for (HttpResponse<String> answer : refused) {
            JsonNode body = JSON.readTree(answer.body());
            assertEquals("insufficient_capacity", body.get("error").asText(), answer.body());
            assertThat(body.get("details").get("memoryMiB")).as(answer.body()).isNotNull();
        }
        long after = Api.as("admin").get("/api/v1/admin/hosts/" + host).<Number>path("memoryMiB.allocated").longValue();
        assertEquals(allocated + fits * 1024, after, "exactly what was accepted is allocated, nothing else");
        assertThat(after).isLessThanOrEqualTo(allocatable);

        Api.as("admin").body(Map.of("memoryRatio", 1.0, "cpuRatio", 4.0)).patch("/api/v1/admin/hosts/" + host)
                .then().statusCode(202);
        Api.as("admin").body(Map.of()).put("/api/v1/admin/quotas/" + acme).then().statusCode(202);
    }

    private List<HttpResponse<String>> burst(String user, boolean start) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        String token = TestKeycloak.token(user);
        String prefix = "burst-" + UUID.randomUUID().toString().substring(0, 6);
        List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
        for (int i = 0; i < BURST; i++) {
            String body = JSON.writeValueAsString(Map.of("name", prefix + "-" + i, "kind", "jail", "image", "busybox",
                    "vcpus", 1, "memoryMiB", 1024, "diskGiB", 1, "start", start));
            HttpRequest request = HttpRequest.newBuilder(URI.create(base.toString()).resolve("/api/v1/instances"))
                    .header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/json")
                    .timeout(Duration.ofSeconds(120))
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build();
            futures.add(http.sendAsync(request, HttpResponse.BodyHandlers.ofString()));
        }
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(180, TimeUnit.SECONDS);
        List<HttpResponse<String>> answers = futures.stream().map(CompletableFuture::join).toList();
        assertThat(answers).allMatch(r -> r.statusCode() == 202 || r.statusCode() == 409,
                "every answer is 202 or 409: " + answers.stream().filter(r -> r.statusCode() != 202
                        && r.statusCode() != 409).map(HttpResponse::body).findFirst().orElse(""));
        return answers;
    }

    private static String tenantId(String slug) {
        Api.as(slug.equals("acme") ? "bob" : "dave").get("/api/v1/me").then().statusCode(200);
        return Api.as("admin").get("/api/v1/admin/tenants").then().statusCode(200).extract()
                .path("items.find { it.slug == '" + slug + "' }.id");
    }
}

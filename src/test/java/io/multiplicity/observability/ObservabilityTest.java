package io.multiplicity.observability;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.multiplicity.host.Host;
import io.multiplicity.support.Api;
import io.multiplicity.support.Instances;
import io.multiplicity.support.RecordingHostDriver;
import io.multiplicity.support.RecordingHostProfile;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What an operator checks: request ids in responses and error bodies, readiness with the identity
 * provider and the hosts, and the domain metrics on /q/metrics after real API calls.
 */
@QuarkusTest
@TestProfile(RecordingHostProfile.class)
class ObservabilityTest {

    static final Pattern UUID_TEXT = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    @Test
    void aRequestIdIsTakenWhenValidElseGeneratedAndEchoedInErrors() {
        Response given = Api.as("bob").header("X-Request-Id", "portal.7f_3:a-1").get("/api/v1/me");
        assertEquals(200, given.statusCode());
        assertEquals("portal.7f_3:a-1", given.header("X-Request-Id"));

        Response generated = Api.as("bob").get("/api/v1/me");
        assertThat(generated.header("X-Request-Id")).matches(UUID_TEXT);
        assertNotEquals(generated.header("X-Request-Id"), Api.as("bob").get("/api/v1/me").header("X-Request-Id"),
                "each request its own id");

        for (String bad : new String[] {"two words", "x".repeat(129), "quote\"d", "<script>"}) {
            Response replaced = Api.as("bob").header("X-Request-Id", bad).get("/api/v1/me");
            assertEquals(200, replaced.statusCode());
            assertThat(replaced.header("X-Request-Id")).as(bad).matches(UUID_TEXT);
        }
        assertEquals("x".repeat(128), Api.as("bob").header("X-Request-Id", "x".repeat(128)).get("/api/v1/me")
                .header("X-Request-Id"), "128 characters is the longest id taken");

        Response missing = Api.as("bob").header("X-Request-Id", "lookup-1").get("/api/v1/instances/" + UUID.randomUUID());
        assertEquals(404, missing.statusCode());
        assertEquals("not_found", missing.path("error"));
        assertEquals("lookup-1", missing.path("requestId"), "the error body names the request");
        Response anonymous = Api.anonymous().header("X-Request-Id", "anon-1").get("/api/v1/instances");
        assertEquals(401, anonymous.statusCode());
        assertEquals("anon-1", anonymous.path("requestId"));
        assertEquals("probe-1", given().header("X-Request-Id", "probe-1").get("/q/health/live")
                .header("X-Request-Id"), "every route, health too");
    }

    @Test
    void readinessIncludesTheIdentityProviderAndTheHosts() {
        Response ready = given().get("/q/health/ready").then().extract().response();
        assertEquals(200, ready.statusCode(), ready.asString());
        assertEquals("UP", ready.path("checks.find { it.name == 'identity-provider' }.status"), ready.asString());
        assertEquals("UP", ready.path("checks.find { it.name == 'hosts' }.status"), ready.asString());
        assertEquals("ready", ready.path("checks.find { it.name == 'hosts' }.data.'host.test-host'"), ready.asString());
    }

    /**
     * A host whose agent went silent does not count as ready, whatever its state says: with the
     * only answering host out of service, readiness is DOWN although a silent host is "ready".
     */
    @Test
    void readinessDoesNotCountASilentHost() {
        Host silent = new Host();
        silent.id = UUID.randomUUID();
        silent.name = "silent-" + silent.id.toString().substring(0, 6);
        silent.state = "ready";
        silent.agentUrl = "https://127.0.0.1:1";  // nothing listens: its heartbeat is refused at once
        silent.kinds = "jail";
        silent.cpus = 4;
        silent.memoryMiB = 8192;
        silent.storageGiB = 100;
        silent.cpuRatio = java.math.BigDecimal.ONE;
        silent.memoryRatio = java.math.BigDecimal.ONE;
        silent.diskRatio = java.math.BigDecimal.ONE;
        silent.lastSeen = Instant.now().minus(Duration.ofHours(1));
        silent.createdAt = Instant.now().minus(Duration.ofDays(1));
        QuarkusTransaction.requiringNew().run(() -> silent.persist());
        try {
            Response withTheLocalHost = given().get("/q/health/ready").then().extract().response();
            assertEquals(200, withTheLocalHost.statusCode(), withTheLocalHost.asString());
            assertThat((String) withTheLocalHost.path("checks.find { it.name == 'hosts' }.data.'host." + silent.name + "'"))
                    .startsWith("silent since ");

            QuarkusTransaction.requiringNew().run(() -> Host.update("state = 'offline' where name = 'test-host'"));
            Response alone = given().get("/q/health/ready").then().extract().response();
            assertEquals(503, alone.statusCode(), alone.asString());
            assertEquals("DOWN", alone.path("checks.find { it.name == 'hosts' }.status"), alone.asString());
            assertEquals(0, (int) alone.path("checks.find { it.name == 'hosts' }.data.ready"), alone.asString());
        } finally {
            QuarkusTransaction.requiringNew().run(() -> {
                Host.update("state = 'ready' where name = 'test-host'");
                Host.deleteById(silent.id);
            });
        }
        assertEquals(200, given().get("/q/health/ready").statusCode());
    }

    @Test
    void theDomainMetricsFollowWhatTheApiDid() {
        String instance = Instances.jail("bob", "metered", true);
        assertEquals("running", Api.as("bob").get("/api/v1/instances/" + instance).path("state"));
        Response refused = Api.as("bob").body(Map.of("name", "too-big-" + UUID.randomUUID().toString().substring(0, 6),
                "kind", "jail", "image", "busybox", "vcpus", 64, "memoryMiB", 256, "diskGiB", 1))
                .post("/api/v1/instances");
        assertThat(refused.statusCode()).as(refused.asString()).isIn(409);
        String reason = refused.path("error");
        assertThat(reason).isIn("quota_exceeded", "insufficient_capacity");

        String metrics = awaitMetric("multiplicity_instances\\{kind=\"jail\",state=\"running\"\\} ([0-9.E]+)", 1);
        assertThat(value(metrics, "multiplicity_operations_duration_seconds_count\\{kind=\"instance\\.create\","
                + "state=\"succeeded\"\\} ([0-9.E]+)")).as("create operations timed").isGreaterThanOrEqualTo(1);
        assertThat(value(metrics, "multiplicity_operations_duration_seconds_sum\\{kind=\"instance\\.create\","
                + "state=\"succeeded\"\\} ([0-9.E]+)")).as("their time").isPositive();
        assertThat(value(metrics, "multiplicity_admission_refusals_total\\{reason=\"" + reason
                + "\",resource=\"vcpus\"\\} ([0-9.E]+)")).as("the refusal, by reason").isGreaterThanOrEqualTo(1);
        assertThat(value(metrics, "multiplicity_console_sessions_open ([0-9.E]+)")).isGreaterThanOrEqualTo(0);
        assertThat(value(metrics, "multiplicity_host_allocatable\\{host=\"test-host\",resource=\"vcpus\"\\} ([0-9.E]+)"))
                .isPositive();
        assertThat(value(metrics, "multiplicity_host_allocated\\{host=\"test-host\",resource=\"vcpus\"\\} ([0-9.E]+)"))
                .as("the running jail's vCPU").isGreaterThanOrEqualTo(1);
        assertThat(value(metrics, "multiplicity_host_allocatable\\{host=\"test-host\",resource=\"memory_mib\"\\}"
                + " ([0-9.E]+)")).isPositive();
        // an operation that fails is counted and timed as failed, by kind
        double failedBefore = failedCreates();
        RecordingHostDriver.failProvisionWith = "the disk is on fire";
        try {
            Response accepted = Api.as("bob").body(Map.of("name", "failing-" + UUID.randomUUID().toString().substring(0, 6),
                    "kind", "jail", "image", "busybox", "type", "j1.nano")).post("/api/v1/instances");
            assertEquals(202, accepted.statusCode(), accepted.asString());
            Response failed = io.multiplicity.support.Operations.finished("bob", accepted.path("id"), Duration.ofSeconds(30));
            assertEquals("failed", failed.path("state"), failed.asString());
        } finally {
            RecordingHostDriver.failProvisionWith = null;
        }
        String after = awaitMetric("multiplicity_operations_finished_total\\{kind=\"instance\\.create\",state=\"failed\"\\}"
                + " ([0-9.E]+)", failedBefore + 1);
        assertThat(value(after, "multiplicity_operations_duration_seconds_count\\{kind=\"instance\\.create\","
                + "state=\"failed\"\\} ([0-9.E]+)")).as("failed creates timed").isGreaterThanOrEqualTo(1);
    }

    private static double failedCreates() {
        Matcher matcher = Pattern.compile("multiplicity_operations_finished_total\\{kind=\"instance\\.create\","
                + "state=\"failed\"\\} ([0-9.E]+)").matcher(given().get("/q/metrics").then().statusCode(200).extract().asString());
        return matcher.find() ? Double.parseDouble(matcher.group(1)) : 0;
    }

    /** Polls /q/metrics until the pattern's value reaches {@code atLeast} (gauges refresh every second here). */
    static String awaitMetric(String pattern, double atLeast) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
        String metrics = "";
        while (Instant.now().isBefore(deadline)) {
            metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
            Matcher matcher = Pattern.compile(pattern).matcher(metrics);
            if (matcher.find() && Double.parseDouble(matcher.group(1)) >= atLeast) {
                return metrics;
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new AssertionError(pattern + " did not reach " + atLeast + " in:\n" + grepMultiplicity(metrics));
    }

    static double value(String metrics, String pattern) {
        Matcher matcher = Pattern.compile(pattern).matcher(metrics);
        if (!matcher.find()) {
            throw new AssertionError(pattern + " is not in:\n" + grepMultiplicity(metrics));
        }
        return Double.parseDouble(matcher.group(1));
    }

    private static String grepMultiplicity(String metrics) {
        return String.join("\n", metrics.lines().filter(line -> line.startsWith("multiplicity_")).toList());
    }
}

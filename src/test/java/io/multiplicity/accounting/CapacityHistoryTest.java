package io.multiplicity.accounting;

import static io.multiplicity.accounting.BillingTest.waitFor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.multiplicity.common.Clock;
import io.multiplicity.host.contract.InstanceUsage;
import io.multiplicity.support.Api;
import io.multiplicity.support.RecordingHostDriver;
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
 * The charts' data: a tenant's allocation and measured use over time, a host's against its
 * allocatable capacity, and the overcommit of the hosts a tenant runs on, seen without their names.
 * A jail of 2 vCPUs, 1 GiB and 10 GiB runs 30 minutes of a controlled clock, then stays stopped.
 */
@QuarkusTest
@TestProfile(MeteredHostProfile.class)
class CapacityHistoryTest {

    static final Instant START = Instant.parse("2032-05-10T08:00:00Z");
    static final long GIB = 1L << 30;

    @Inject
    MeteringSampler sampler;

    final SettableClock clock = new SettableClock(START);

    @AfterEach
    void realTime() {
        Clock.useSystem();
    }

    @Test
    void allocationAndUseOverTimeForTheTenantAndTheHost() {
        RecordingHostDriver.reset();
        Clock.use(clock);
        String name = "charted-" + UUID.randomUUID().toString().substring(0, 6);
        UUID instance = UUID.fromString(waitFor(Api.as("bob").body(Map.of("name", name, "kind", "jail", "image",
                "busybox", "vcpus", 2, "memoryMiB", 1024, "diskGiB", 10, "start", true)).post("/api/v1/instances")
                .then().statusCode(202).extract().path("id")).path("target"));
        for (int minute = 1; minute <= 45; minute++) {
            clock.set(START.plus(Duration.ofMinutes(minute)));
            MeteredHostProfile.USAGE.put(instance, new InstanceUsage(3 * GIB, 3 * GIB, 0L, 1.0, 512L << 20,
                    1_000_000_000L * minute, 0L, 0L));
            sampler.sample();
            if (minute == 30) {
                waitFor(Api.as("bob").post("/api/v1/instances/" + instance + "/stop").then().statusCode(202)
                        .extract().path("id"));
            }
        }

        String range = "?from=" + START.minus(Duration.ofMinutes(10)) + "&to=" + START.plus(Duration.ofMinutes(50));
        Response tenant = Api.as("carol").get("/api/v1/quota/history" + range).then().statusCode(200).extract()
                .response();
        assertThat(tenant.<List<Object>>path("points")).as("carol's acme-free history").isNotEmpty();
        Response history = Api.as("bob").get("/api/v1/quota/history" + range).then().statusCode(200).extract()
                .response();
        assertEquals(60, history.<Integer>path("stepSeconds"), "an hour in minutes");
        assertEquals(60, history.<List<Object>>path("points").size());
        Map<String, Object> before = point(history, START.minus(Duration.ofMinutes(5)));
        Map<String, Object> running = point(history, START.plus(Duration.ofMinutes(10)));
        Map<String, Object> stopped = point(history, START.plus(Duration.ofMinutes(40)));
        assertEquals(2, number(running, "vcpus") - number(before, "vcpus"), "vCPUs while it runs: " + running);
        assertEquals(1024, number(running, "memoryMiB") - number(before, "memoryMiB"));
        assertEquals(10, number(running, "diskGiB") - number(before, "diskGiB"));
        assertEquals(number(before, "vcpus"), number(stopped, "vcpus"), "a stopped jail holds no vCPUs");
        assertEquals(10, number(stopped, "diskGiB") - number(before, "diskGiB"), "but still its disk");
        assertNull(before.get("memoryUsedMiB"), "nothing measured before it existed: a gap, not a zero");
        assertThat(number(running, "memoryUsedMiB")).as("what the host measured").isGreaterThanOrEqualTo(512);
        assertThat(((Number) running.get("diskUsedGiB")).doubleValue()).isGreaterThanOrEqualTo(3.0);
        assertThat(history.<Object>path("ceiling")).as("the tenant's limits").isNotNull();

        String host = Api.as("admin").get("/api/v1/admin/hosts").then().statusCode(200).extract()
                .path("items.find { it.name == 'test-host' }.id");
        Response onHost = Api.as("admin").get("/api/v1/admin/hosts/" + host + "/history" + range).then()
                .statusCode(200).extract().response();
        assertEquals(2, number(point(onHost, START.plus(Duration.ofMinutes(10))), "vcpus")
                - number(point(onHost, START.minus(Duration.ofMinutes(5))), "vcpus"));
        assertThat(onHost.<Integer>path("ceiling.vcpus")).as("allocatable vCPUs").isPositive();
        Api.as("bob").get("/api/v1/admin/hosts/" + host + "/history").then().statusCode(403);

        Response hosts = Api.as("bob").get("/api/v1/quota/hosts").then().statusCode(200).extract().response();
        assertThat(hosts.asString()).as("no host names for tenants").doesNotContain("test-host");
        assertEquals("host-" + host.substring(0, 8), hosts.path("items[0].label"));
        assertThat(hosts.<Integer>path("items[0].instances")).isPositive();
        assertThat(hosts.<Object>path("items[0].cpuRatio")).isNotNull();

        Api.as("bob").get("/api/v1/quota/history?from=yesterday").then().statusCode(400)
                .body("error", org.hamcrest.Matchers.equalTo("invalid_range"));
        Api.as("bob").get("/api/v1/quota/history?from=2032-01-01T00:00:00Z&to=2032-12-01T00:00:00Z").then()
                .statusCode(400);
        waitFor(Api.as("bob").delete("/api/v1/instances/" + instance).then().statusCode(202).extract().path("id"));
    }

    private static Map<String, Object> point(Response series, Instant at) {
        List<Map<String, Object>> points = series.path("points");
        return points.stream().filter(point -> Instant.parse((String) point.get("at")).equals(at)).findFirst()
                .orElseThrow(() -> new AssertionError("no point at " + at + " in " + series.asString()));
    }

    private static long number(Map<String, Object> point, String field) {
        return ((Number) point.get(field)).longValue();
    }
}

package io.multiplicity.instance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiplicity.operation.OperationService;
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
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Scheduled snapshots: one per hour while the schedule keeps hourly ones, the oldest the schedule
 * took pruned beyond what it keeps, snapshots people took never touched, the snapshots quota
 * respected (a refusal audited once per period). Passes are driven with explicit times; the
 * snapshots are real operations on the in-memory host.
 */
@QuarkusTest
@TestProfile(RecordingHostProfile.class)
class ScheduledSnapshotsTest {

    @Inject
    ScheduledSnapshots schedules;

    @Inject
    OperationService operations;

    @Inject
    EntityManager em;

    @Test
    void theScheduleTakesOnePerHourAndKeepsTheNewest() {
        UUID vm = runningVm();
        String path = "/api/v1/instances/" + vm + "/snapshot-schedule";
        assertEquals(0, (int) Api.as("bob").get(path).path("hourly"));
        assertEquals(400, Api.as("bob").body(Map.of("hourly", 500, "daily", 0, "weekly", 0)).put(path).statusCode());
        assertEquals(403, Api.as("vera").body(Map.of("hourly", 2, "daily", 0, "weekly", 0)).put(path).statusCode());
        assertEquals(404, Api.as("carol").body(Map.of("hourly", 2, "daily", 0, "weekly", 0)).put(path).statusCode());
        assertEquals(404, Api.as("carol").get(path).statusCode());

        Response manual = Api.as("bob").body(Map.of("name", "keepme")).post("/api/v1/instances/" + vm + "/snapshot");
        assertEquals(202, manual.statusCode(), manual.asString());
        idle(vm);
        Response set = Api.as("bob").body(Map.of("hourly", 2, "daily", 0, "weekly", 0)).put(path);
        assertEquals(200, set.statusCode(), set.asString());
        assertEquals(2, (int) set.path("hourly"));

        // Passes of the schedule at quarter past an hour of tomorrow: after the manual snapshot, whenever the test runs.
        Instant first = Instant.now().truncatedTo(ChronoUnit.HOURS).plus(Duration.ofDays(1)).plus(Duration.ofMinutes(15));
        schedules.pass(first);
        idle(vm);
        assertEquals(List.of("keepme", hourly(first)), names(vm));
        schedules.pass(first.plus(Duration.ofMinutes(40)));
        idle(vm);
        assertEquals(2, names(vm).size(), "one per hour");
        schedules.pass(first.plus(Duration.ofHours(1)));
        idle(vm);
        schedules.pass(first.plus(Duration.ofHours(2)));
        idle(vm);
        assertThat(names(vm)).hasSize(4);
        schedules.pass(first.plus(Duration.ofHours(2)).plusSeconds(60));
        idle(vm);
        assertEquals(List.of("keepme", hourly(first.plus(Duration.ofHours(1))), hourly(first.plus(Duration.ofHours(2)))),
                names(vm), "the oldest scheduled one is pruned, the one a person took is not");
        assertThat(RecordingHostDriver.DELETED_SNAPSHOTS).contains(vm + "@" + hourly(first));
        List<Map<String, Object>> listed = Api.as("vera").get("/api/v1/instances/" + vm + "/snapshots").path("items");
        assertEquals("hourly", listed.get(2).get("schedule"));
        assertThat(listed.get(0)).doesNotContainKey("schedule");
    }

    @Test
    void aScheduledSnapshotPastTheQuotaIsRefusedAndAuditedOnce() {
        UUID vm = runningVm();
        String acme = Api.as("admin").get("/api/v1/admin/tenants").path("items.find { it.slug == 'acme' }.id");
        String quota = "/api/v1/admin/quotas/" + acme;
        Map<String, Object> limits = new HashMap<>();
        Api.as("admin").get(quota).<Map<String, Map<String, Object>>>path("resources")
                .forEach((name, line) -> limits.put(name, line.get("limit")));
        int held = Api.as("bob").get("/api/v1/quota").path("resources.snapshots.allocated");
        Map<String, Object> full = new HashMap<>(limits);
        full.put("snapshots", held);
        Api.as("admin").body(full).put(quota).then().statusCode(202);
        try {
            Api.as("bob").body(Map.of("hourly", 1, "daily", 0, "weekly", 0))
                    .put("/api/v1/instances/" + vm + "/snapshot-schedule").then().statusCode(200);
            Instant at = Instant.now().truncatedTo(ChronoUnit.HOURS).plus(Duration.ofDays(2)).plus(Duration.ofMinutes(5));
            schedules.pass(at);
            schedules.pass(at.plusSeconds(120));
            idle(vm);
            assertEquals(List.of(), names(vm));
            List<Map<String, Object>> refused = Api.as("alice").get("/api/v1/audit?limit=100").<List<Map<String, Object>>>path(
                    "items").stream().filter(entry -> vm.toString().equals(entry.get("target"))
                    && "refused".equals(entry.get("outcome"))).toList();
            assertEquals(1, refused.size(), "audited once in the hour: " + refused);
        } finally {
            Api.as("admin").body(limits).put(quota).then().statusCode(202);
            Api.as("bob").body(Map.of("hourly", 0, "daily", 0, "weekly", 0))
                    .put("/api/v1/instances/" + vm + "/snapshot-schedule").then().statusCode(200);
        }
    }

    /** The name of the hourly snapshot a pass at {@code at} takes: auto-hourly-yyyyMMdd-HHmm, UTC. */
    private static String hourly(Instant at) {
        return "auto-hourly-" + java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmm")
                .withZone(java.time.ZoneOffset.UTC).format(at);
    }

    private List<String> names(UUID vm) {
        return Api.as("bob").get("/api/v1/instances/" + vm + "/snapshots").path("items.name");
    }

    private void idle(UUID vm) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (QuarkusTransaction.requiringNew().call(() -> operations.active(vm).isPresent())) {
            assertThat(Instant.now()).as("the instance's operation finishes").isBefore(deadline);
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private UUID runningVm() {
        return io.multiplicity.support.Instances.runningVmOnRecordingHost(em, "sched");
    }
}

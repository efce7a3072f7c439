package io.multiplicity.accounting;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiplicity.host.contract.InstanceUsage;
import io.multiplicity.support.Api;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The snapshot GiB quota is enforced: while a tenant's snapshots hold their limit (as metering
 * measured ZFS usedbysnapshots), a new snapshot is refused with the numbers; deleting snapshots
 * or a higher limit makes room. (It was shown but never enforced.)
 */
@QuarkusTest
@TestProfile(MeteredHostProfile.class)
class SnapshotSpaceQuotaTest {

    static final long GIB = 1L << 30;

    @Inject
    MeteringSampler sampler;

    @Test
    void aTenantWhoseSnapshotsHoldTheirLimitCannotTakeAnother() {
        UUID instance = UUID.fromString(io.multiplicity.support.Instances.jail("carol", "snaps", true));
        String globex = Api.as("admin").get("/api/v1/admin/tenants").path("items.find { it.slug == 'globex' }.id");
        String quota = "/api/v1/admin/quotas/" + globex;
        Map<String, Object> limits = new HashMap<>();
        Api.as("admin").get(quota).<Map<String, Map<String, Object>>>path("resources")
                .forEach((name, line) -> limits.put(name, line.get("limit")));

        // the host measures 3 GiB held by the instance's snapshots
        MeteredHostProfile.USAGE.put(instance, new InstanceUsage(4 * GIB, GIB, 3 * GIB, 1.0, 64L << 20, 0, 0, 0));
        assertThat(sampler.sample()).isPositive();
        Map<String, Object> tight = new HashMap<>(limits);
        tight.put("snapshotGiB", 3);
        Api.as("admin").body(tight).put(quota).then().statusCode(202);
        try {
            Response refused = Api.as("carol").body(Map.of("name", "one")).post("/api/v1/instances/" + instance + "/snapshot");
            assertEquals(409, refused.statusCode(), refused.asString());
            assertEquals("quota_exceeded", refused.path("error"));
            assertEquals("snapshotGiB", refused.path("details.resource"));
            assertEquals(3, (int) refused.path("details.used"));
            assertThat(Api.as("carol").get("/api/v1/instances/" + instance + "/snapshots").<List<Object>>path("items"))
                    .as("nothing half-made").isEmpty();

            tight.put("snapshotGiB", 4);
            Api.as("admin").body(tight).put(quota).then().statusCode(202);
            Response taken = Api.as("carol").body(Map.of("name", "one")).post("/api/v1/instances/" + instance + "/snapshot");
            assertEquals(202, taken.statusCode(), taken.asString());
            succeed(taken.path("id"));
        } finally {
            Api.as("admin").body(limits).put(quota).then().statusCode(202);
            MeteredHostProfile.USAGE.remove(instance);
        }
    }

    private static void succeed(String operation) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (!"succeeded".equals(Api.as("carol").get("/api/v1/operations/" + operation).path("state"))) {
            assertThat(Instant.now()).as("operation " + operation + " finishes").isBefore(deadline);
        }
    }
}

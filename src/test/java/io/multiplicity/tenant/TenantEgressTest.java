package io.multiplicity.tenant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiplicity.host.contract.InstanceSpec;
import io.multiplicity.support.Api;
import io.multiplicity.support.RecordingHostDriver;
import io.multiplicity.support.RecordingHostProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A tenant's instances get their network's domain and egress from the control plane; a platform
 * admin switches a tenant's egress, and the hosts where it has networks are told at once.
 */
@QuarkusTest
@TestProfile(RecordingHostProfile.class)
class TenantEgressTest {

    @Test
    void anAdminSwitchesATenantsEgressAndItsHostsFollow() {
        UUID instance = UUID.fromString(startedJail());
        String acme = Api.as("admin").get("/api/v1/admin/tenants").path("items.find { it.slug == 'acme' }.id");
        InstanceSpec spec = RecordingHostDriver.SPECS.get(instance);
        assertThat(spec.network()).as("the instance is on its tenant's network").isNotNull();
        assertEquals("acme.internal", spec.network().domain());
        assertThat(spec.network().egress()).as("egress is on by default").isTrue();
        assertEquals(Boolean.TRUE, Api.as("admin").get("/api/v1/admin/tenants/" + acme).path("egress"));

        Api.as("bob").body(Map.of("egress", false)).patch("/api/v1/admin/tenants/" + acme).then().statusCode(403);
        try {
            Response switched = Api.as("admin").body(Map.of("egress", false)).patch("/api/v1/admin/tenants/" + acme);
            assertEquals(202, switched.statusCode(), switched.asString());
            assertEquals(Boolean.FALSE, Api.as("admin").get("/api/v1/admin/tenants/" + acme).path("egress"));
            assertEquals(Boolean.FALSE, RecordingHostDriver.EGRESS.get(spec.network().tenantNetwork()),
                    "the host was told");
            UUID next = UUID.fromString(startedJail());
            assertThat(RecordingHostDriver.SPECS.get(next).network().egress()).as("new starts carry it").isFalse();
        } finally {
            Api.as("admin").body(Map.of("egress", true)).patch("/api/v1/admin/tenants/" + acme).then().statusCode(202);
        }
        assertEquals(Boolean.TRUE, RecordingHostDriver.EGRESS.get(spec.network().tenantNetwork()));
        Api.as("admin").body(Map.of("egress", "sometimes")).patch("/api/v1/admin/tenants/" + acme).then().statusCode(400);
    }

    private static String startedJail() {
        Response accepted = Api.as("bob").body(Map.of("name", "egress-" + UUID.randomUUID().toString().substring(0, 6),
                "kind", "jail", "image", "busybox", "type", "j1.nano", "start", true)).post("/api/v1/instances");
        assertEquals(202, accepted.statusCode(), accepted.asString());
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (!"succeeded".equals(Api.as("bob").get("/api/v1/operations/" + accepted.path("id")).path("state"))) {
            assertThat(Instant.now()).as("the create finishes").isBefore(deadline);
        }
        return accepted.path("target");
    }
}

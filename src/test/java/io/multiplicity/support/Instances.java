package io.multiplicity.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.restassured.response.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/** Instances made through the API, as a user would, for tests that need one to exist. */
public final class Instances {

    private Instances() {
    }

    /**
     * A busybox jail of type j1.nano named {@code <prefix>-<random>}, created by {@code user} (and
     * started when {@code start}); returns its id once its create operation has succeeded.
     */
    public static String jail(String user, String prefix, boolean start) {
        Response accepted = Api.as(user).body(Map.of("name", prefix + "-" + UUID.randomUUID().toString().substring(0, 6),
                "kind", "jail", "image", "busybox", "type", "j1.nano", "start", start)).post("/api/v1/instances");
        assertEquals(202, accepted.statusCode(), accepted.asString());
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (!"succeeded".equals(Api.as(user).get("/api/v1/operations/" + accepted.path("id")).path("state"))) {
            assertThat(Instant.now()).as("the create finishes").isBefore(deadline);
        }
        return accepted.path("target");
    }

    /**
     * A running VM of acme on the in-memory host of {@link RecordingHostProfile}, written straight
     * into the database (no image needed), named {@code <prefix>-<part of its id>}.
     */
    public static UUID runningVmOnRecordingHost(jakarta.persistence.EntityManager em, String prefix) {
        Api.as("bob").get("/api/v1/instances").then().statusCode(200);  // acme registers at its first sign-in
        Api.as("vera").get("/api/v1/instances").then().statusCode(200);
        String acme = Api.as("admin").get("/api/v1/admin/tenants").path("items.find { it.slug == 'acme' }.id");
        String host = Api.as("admin").get("/api/v1/admin/hosts").path("items.find { it.local }.id");
        UUID id = UUID.randomUUID();
        io.quarkus.narayana.jta.QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery("insert into instances"
                        + " (id, tenant_id, name, kind, image, vcpus, memory_mib, disk_gib, desired_state, actual_state,"
                        + " host_id, created_at, updated_at) values (?1, ?2, ?3, 'vm', 'tiny-linux', 1, 128, 1, 'running',"
                        + " 'running', ?4, ?5, ?5)")
                .setParameter(1, id)
                .setParameter(2, UUID.fromString(acme))
                .setParameter(3, prefix + "-" + id.toString().substring(0, 6))
                .setParameter(4, UUID.fromString(host))
                .setParameter(5, Instant.now().atOffset(java.time.ZoneOffset.UTC))
                .executeUpdate());
        RecordingHostDriver.STATES.put(id, io.multiplicity.host.contract.InstanceStatus.State.RUNNING);
        return id;
    }
}

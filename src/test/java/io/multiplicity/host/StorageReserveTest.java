package io.multiplicity.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiplicity.agent.Agent;
import io.multiplicity.agent.jail.JailHost;
import io.multiplicity.host.contract.HostDriver;
import io.multiplicity.support.Api;
import io.multiplicity.support.LocalJailProfile;
import io.multiplicity.support.Tarballs;
import io.quarkus.arc.Arc;
import io.quarkus.arc.ClientProxy;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A host's storage pool keeps a reserve free: here the reserve is the whole (real, ZFS) pool, so
 * the pool is "full". A new instance and an image import are refused with 507 and the
 * pool's figures, and leave nothing: no instance, no dataset, no version, no quota held.
 */
@QuarkusTest
@TestProfile(StorageReserveTest.Profile.class)
class StorageReserveTest {

    public static class Profile extends LocalJailProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> overrides = new HashMap<>(super.getConfigOverrides());
            overrides.put("multiplicity.agent.pool-name", "mpr" + SUFFIX);
            overrides.put("multiplicity.agent.bridge", "mpr" + SUFFIX);
            overrides.put("multiplicity.agent.data-dir", "target/storage-reserve-" + SUFFIX);
            overrides.put("multiplicity.hosts.local-name", "storage-reserve-host");
            overrides.put("multiplicity.network.pool", "10.94.0.0/16");
            overrides.put("multiplicity.hosts.storage-reserve-percent", "100");
            return overrides;
        }
    }

    @BeforeAll
    static void requireJails() {
        String missing = JailHost.unavailableReason();
        if (missing != null) {
            System.err.println("SKIPPED StorageReserveTest: real jails cannot run on this machine: " + missing);
        }
        Assumptions.assumeTrue(missing == null, "real jails cannot run on this machine: " + missing);
    }

    @AfterAll
    static void removeHost() {
        if (ClientProxy.unwrap(Arc.container().instance(HostDriver.class).get()) instanceof Agent host) {
            host.jails().network().removeAll();
            host.jails().storage().destroyPool();
        }
    }

    @Test
    void aHostWhosePoolIsDownToItsReserveTakesNoInstanceAndNoImport() {
        int instancesBefore = Api.as("bob").get("/api/v1/quota").path("resources.instances.allocated");
        Response create = Api.as("bob").body(Map.of("name", "nospace", "kind", "jail", "image", "busybox",
                "type", "j1.nano", "start", true)).post("/api/v1/instances");
        assertEquals(507, create.statusCode(), create.asString());
        assertEquals("insufficient_storage", create.path("error"));
        assertThat(create.<String>path("message")).contains("storage-reserve-host").contains("reserve");
        long available = ((Number) create.path("details.availableBytes")).longValue();
        long reserve = ((Number) create.path("details.reserveBytes")).longValue();
        assertThat(available).isPositive().isLessThanOrEqualTo(reserve);
        assertThat(Api.as("bob").get("/api/v1/instances").<List<String>>path("items.name")).doesNotContain("nospace");
        assertEquals(instancesBefore, (int) Api.as("bob").get("/api/v1/quota").path("resources.instances.allocated"));

        Response image = Api.as("alice").body(Map.of("name", "nospaceimg", "kind", "jail", "os", "busybox"))
                .post("/api/v1/images");
        assertEquals(201, image.statusCode(), image.asString());
        String id = image.path("id");
        byte[] archive = Tarballs.gzip(tar -> Tarballs.file(tar, "etc/hello", "hello\n"));
        Response upload = Api.as("alice").contentType("application/octet-stream").queryParam("version", "1")
                .body(archive).post("/api/v1/images/" + id + "/versions");
        assertEquals(507, upload.statusCode(), upload.asString());
        assertEquals("insufficient_storage", upload.path("error"));
        assertEquals((long) archive.length, ((Number) upload.path("details.requestedBytes")).longValue());
        assertEquals(List.of(), Api.as("alice").get("/api/v1/images/" + id).path("versions"));
        Agent agent = (Agent) ClientProxy.unwrap(Arc.container().instance(HostDriver.class).get());
        assertThat(agent.jails().storage().exists(agent.jails().storage().imageDataset(id)))
                .as("no dataset for the refused import").isFalse();
        Api.as("alice").delete("/api/v1/images/" + id).then().statusCode(204);
    }
}

package io.multiplicity.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiplicity.host.contract.PublicAccess;
import io.multiplicity.host.contract.PublicAccess.Exposure;
import io.multiplicity.host.contract.PublicAccess.Forward;
import io.multiplicity.host.contract.PublicAccess.Protocol;
import io.multiplicity.host.contract.PublicAccess.Rule;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * Public addresses, port forwards and firewalls through the API: an admin fills a host's pool, a
 * tenant gives its instances addresses and forwards and filters them, and the host is told each
 * time exactly what the outside may reach. Quota, audit, billing and tenant isolation included.
 */
@QuarkusTest
@TestProfile(RecordingHostProfile.class)
class PublicAccessApiTest {

    /** Addresses of this run, so that runs against one database never collide. */
    static final String NET = "198.19." + ThreadLocalRandom.current().nextInt(1, 250);

    @Inject
    EntityManager em;

    @Test
    void anAdminFillsAHostsPoolAndTenantsPublishTheirInstancesThroughIt() {
        String host = localHost();
        String pool = "/api/v1/admin/hosts/" + host + "/addresses";
        Api.as("bob").body(Map.of("addresses", List.of(NET + ".8/30"))).post(pool).then().statusCode(403);
        Api.as("admin").body(Map.of("addresses", List.of("300.1.2.3"))).post(pool).then().statusCode(400);
        Api.as("admin").body(Map.of("addresses", List.of(NET + ".0/16"))).post(pool).then().statusCode(400);
        Api.as("admin").body(Map.of("addresses", List.of(NET + ".9/30"))).post(pool).then().statusCode(400);
        Api.as("admin").body(Map.of("addresses", List.of(NET + ".8/30"))).post(pool).then().statusCode(202);
        Api.as("admin").body(Map.of("addresses", List.of(NET + ".20"), "shared", true)).post(pool).then().statusCode(202);
        Response again = Api.as("admin").body(Map.of("addresses", List.of(NET + ".9"))).post(pool);
        assertEquals(409, again.statusCode(), again.asString());
        assertEquals("address_in_pool", again.path("error"));
        assertThat(Api.as("admin").get(pool).<List<String>>path("items.address"))
                .contains(NET + ".8", NET + ".9", NET + ".10", NET + ".11", NET + ".20");

        String web = createJail("bob", "pub-web");
        String db = createJail("bob", "pub-db");

        // a port of the shared address to web:80
        Response forward = Api.as("bob").body(Map.of("instance", web, "port", 8080, "targetPort", 80))
                .post("/api/v1/forwards");
        assertEquals(202, forward.statusCode(), forward.asString());
        String forwardId = forward.path("target");
        assertEquals(NET + ".20", Api.as("bob").get("/api/v1/forwards/" + forwardId).path("address"));
        Exposure webExposure = exposure(web).orElseThrow();
        assertThat(webExposure.forwards()).containsExactly(new Forward(NET + ".20", Protocol.TCP, 8080, 80));
        assertThat(webExposure.rules()).as("no firewall: open").isNull();
        Response taken = Api.as("bob").body(Map.of("instance", db, "port", 8080, "address", NET + ".20"))
                .post("/api/v1/forwards");
        assertEquals(409, taken.statusCode(), taken.asString());
        assertEquals("port_taken", taken.path("error"));
        Api.as("bob").body(Map.of("instance", db, "port", 0)).post("/api/v1/forwards").then().statusCode(400);
        Api.as("bob").body(Map.of("instance", db, "port", 53, "protocol", "sctp")).post("/api/v1/forwards")
                .then().statusCode(400);

        // a whole address to db
        Response assigned = Api.as("bob").body(Map.of("instance", db)).post("/api/v1/addresses");
        assertEquals(202, assigned.statusCode(), assigned.asString());
        String addressId = assigned.path("target");
        String address = Api.as("bob").get("/api/v1/addresses/" + addressId).path("address");
        assertEquals(NET + ".8", address, "the lowest free address of the host's pool");
        assertEquals(address, exposure(db).orElseThrow().publicAddress());
        assertThat(RecordingHostDriver.published.addresses()).contains(NET + ".8", NET + ".20");
        Response twice = Api.as("bob").body(Map.of("instance", db)).post("/api/v1/addresses");
        assertEquals(409, twice.statusCode(), twice.asString());

        // another tenant sees none of it and can touch none of it
        assertThat(Api.as("carol").get("/api/v1/addresses").<List<String>>path("items.id")).doesNotContain(addressId);
        assertThat(Api.as("carol").get("/api/v1/forwards").<List<String>>path("items.id")).doesNotContain(forwardId);
        Api.as("carol").delete("/api/v1/forwards/" + forwardId).then().statusCode(404);
        Api.as("carol").delete("/api/v1/addresses/" + addressId).then().statusCode(404);
        Api.as("carol").body(Map.of("instance", web, "port", 8081)).post("/api/v1/forwards").then().statusCode(404);
        Api.as("carol").body(Map.of("instance", db)).post("/api/v1/addresses").then().statusCode(404);

        // a firewall on web: only the customer's network, on port 80
        Api.as("bob").body(Map.of("name", "bad", "rules", List.of(Map.of("protocol", "tcp", "fromPort", 80,
                "source", "somewhere")))).post("/api/v1/firewalls").then().statusCode(400);
        Api.as("bob").body(Map.of("name", "bad", "rules", List.of(Map.of("protocol", "icmp", "fromPort", 80,
                "source", "0.0.0.0/0")))).post("/api/v1/firewalls").then().statusCode(400);
        Response created = Api.as("bob").body(Map.of("name", "web-in", "rules", List.of(Map.of("protocol", "tcp",
                "fromPort", 80, "source", "198.18.78.7/24")))).post("/api/v1/firewalls");
        assertEquals(202, created.statusCode(), created.asString());
        String firewall = created.path("target");
        assertEquals("198.18.78.0/24", Api.as("bob").get("/api/v1/firewalls/" + firewall).path("rules[0].source"));
        Api.as("carol").body(Map.of("firewall", firewall)).put("/api/v1/instances/" + web + "/firewall")
                .then().statusCode(404);
        Api.as("bob").body(Map.of("firewall", firewall)).put("/api/v1/instances/" + web + "/firewall")
                .then().statusCode(202);
        assertThat(exposure(web).orElseThrow().rules())
                .containsExactly(new Rule(Protocol.TCP, 80, 80, "198.18.78.0/24"));
        Response inUse = Api.as("bob").delete("/api/v1/firewalls/" + firewall);
        assertEquals(409, inUse.statusCode(), inUse.asString());
        Api.as("bob").body(Map.of("rules", List.of(Map.of("protocol", "tcp", "fromPort", 80, "toPort", 443,
                "source", "0.0.0.0/0")))).patch("/api/v1/firewalls/" + firewall).then().statusCode(202);
        assertThat(exposure(web).orElseThrow().rules()).as("its instances follow a change at once")
                .containsExactly(new Rule(Protocol.TCP, 80, 443, "0.0.0.0/0"));

        // an admin sees who holds what; an address in use stays in the pool
        assertEquals(1, ((Number) Api.as("admin").get(pool).path("items.find { it.address == '" + NET
                + ".20' }.forwards")).intValue());
        assertEquals(409, Api.as("admin").delete(pool + "/" + NET + ".8").statusCode());

        // everything was audited
        assertThat(Api.as("alice").get("/api/v1/audit?limit=100").<List<String>>path("items.action"))
                .contains("forward.create", "address.assign", "firewall.create", "instance.firewall");

        // removing stops it at the host at once
        Api.as("bob").delete("/api/v1/forwards/" + forwardId).then().statusCode(202);
        assertThat(exposure(web)).as("web is no longer reachable").isEmpty();
        Api.as("bob").delete("/api/v1/forwards/" + forwardId).then().statusCode(404);
        Api.as("bob").delete("/api/v1/addresses/" + addressId).then().statusCode(202);
        assertThat(exposure(db)).isEmpty();
        assertThat(RecordingHostDriver.published.addresses()).doesNotContain(NET + ".8", NET + ".20");
        assertEquals(202, Api.as("admin").delete(pool + "/" + NET + ".8").statusCode());
    }

    /**
     * A firewall says whether its rules also filter the instance's own tenant network: its instances
     * reach the host with that, with or without a public address or forward, and leave it when
     * it is switched back to open or when they are deleted.
     */
    @Test
    void aFirewallThatFiltersInsideReachesTheHostForItsInstancesWithoutAnyPublicAccess() {
        String db = createJail("bob", "in-db");
        Response bad = Api.as("bob").body(Map.of("name", "in-bad", "inside", "closed", "rules", List.of()))
                .post("/api/v1/firewalls");
        assertEquals(400, bad.statusCode(), bad.asString());
        assertThat(bad.asString()).contains("inside");
        Response created = Api.as("bob").body(Map.of("name", "db-in-" + UUID.randomUUID().toString().substring(0, 6),
                "inside", "filtered", "rules", List.of(Map.of("protocol", "tcp", "fromPort", 5432,
                        "source", "10.0.0.0/8")))).post("/api/v1/firewalls");
        assertEquals(202, created.statusCode(), created.asString());
        String firewall = created.path("target");
        assertEquals("filtered", Api.as("bob").get("/api/v1/firewalls/" + firewall).path("inside"));
        assertThat(exposure(db)).as("not applied yet").isEmpty();

        Api.as("bob").body(Map.of("firewall", firewall)).put("/api/v1/instances/" + db + "/firewall")
                .then().statusCode(202);
        Exposure filtered = exposure(db).orElseThrow();
        assertThat(filtered.filterInside()).isTrue();
        assertThat(filtered.forwards()).isEmpty();
        assertThat(filtered.publicAddress()).isNull();
        assertThat(filtered.rules()).containsExactly(new Rule(Protocol.TCP, 5432, 5432, "10.0.0.0/8"));

        Api.as("bob").body(Map.of("inside", "open")).patch("/api/v1/firewalls/" + firewall).then().statusCode(202);
        assertEquals("open", Api.as("bob").get("/api/v1/firewalls/" + firewall).path("inside"));
        assertThat(exposure(db)).as("open inside, and nothing published for outside").isEmpty();
        Api.as("bob").body(Map.of("inside", "filtered")).patch("/api/v1/firewalls/" + firewall).then().statusCode(202);
        assertThat(exposure(db).orElseThrow().filterInside()).isTrue();
        assertThat(Api.as("alice").get("/api/v1/audit?limit=100").<List<Map<String, Object>>>path("items")
                .stream().filter(entry -> "firewall.update".equals(entry.get("action")) && firewall.equals(entry.get("target")))
                .map(entry -> String.valueOf(((Map<?, ?>) entry.get("details")).get("inside"))).toList())
                .as("each switch is audited").contains("open", "filtered");

        Response deleted = Api.as("bob").delete("/api/v1/instances/" + db);
        assertEquals(202, deleted.statusCode(), deleted.asString());
        assertEquals("succeeded", io.multiplicity.support.Operations.finished("bob", deleted.path("id"),
                Duration.ofSeconds(30)).path("state"));
        assertThat(exposure(db)).as("the host stops filtering for a deleted instance").isEmpty();
    }

    @Test
    void deletingAnInstanceReleasesItsAddressAndForwards() {
        String host = localHost();
        Api.as("admin").body(Map.of("addresses", List.of(NET + ".40", NET + ".41"))).post(
                "/api/v1/admin/hosts/" + host + "/addresses").then().statusCode(202);
        Api.as("admin").body(Map.of("addresses", List.of(NET + ".42"), "shared", true)).post(
                "/api/v1/admin/hosts/" + host + "/addresses").then().statusCode(202);
        String jail = createJail("bob", "pub-gone");
        Api.as("bob").body(Map.of("instance", jail)).post("/api/v1/addresses").then().statusCode(202);
        Api.as("bob").body(Map.of("instance", jail, "port", 2222, "targetPort", 22, "address", NET + ".42"))
                .post("/api/v1/forwards").then().statusCode(202);
        assertThat(exposure(jail)).isPresent();

        Response deleted = Api.as("bob").delete("/api/v1/instances/" + jail);
        assertEquals(202, deleted.statusCode(), deleted.asString());
        assertThat(exposure(jail)).as("the host stops publishing it").isEmpty();
        assertThat(Api.as("bob").get("/api/v1/addresses").<List<String>>path("items.instance")).doesNotContain(jail);
        assertThat(Api.as("bob").get("/api/v1/forwards").<List<String>>path("items.instance")).doesNotContain(jail);
    }

    @Test
    void theAddressesQuotaCountsPublicAddressesAndForwards() {
        String host = localHost();
        Api.as("admin").body(Map.of("addresses", List.of(NET + ".60", NET + ".61", NET + ".62"))).post(
                "/api/v1/admin/hosts/" + host + "/addresses").then().statusCode(202);
        Api.as("admin").body(Map.of("addresses", List.of(NET + ".63"), "shared", true)).post(
                "/api/v1/admin/hosts/" + host + "/addresses").then().statusCode(202);
        String first = createJail("carol", "quota-a");
        String second = createJail("carol", "quota-b");
        // (tenants register at their first sign-in: look globex up after carol's)
        String globex = Api.as("admin").get("/api/v1/admin/tenants").path("items.find { it.slug == 'globex' }.id");
        String quota = "/api/v1/admin/quotas/" + globex;
        Map<String, Object> limits = limits(globex);
        long held = ((Number) Api.as("admin").get(quota).path("resources.addresses.allocated")).longValue();
        Map<String, Object> tight = new HashMap<>(limits);
        tight.put("addresses", held + 2);
        Api.as("admin").body(tight).put(quota).then().statusCode(202);
        try {
            Api.as("carol").body(Map.of("instance", first)).post("/api/v1/addresses").then().statusCode(202);
            Api.as("carol").body(Map.of("instance", second, "port", 8443, "address", NET + ".63"))
                    .post("/api/v1/forwards").then().statusCode(202);
            assertEquals(held + 2, ((Number) Api.as("carol").get("/api/v1/quota")
                    .path("resources.addresses.allocated")).longValue());
            Response refused = Api.as("carol").body(Map.of("instance", second)).post("/api/v1/addresses");
            assertEquals(409, refused.statusCode(), refused.asString());
            assertEquals("quota_exceeded", refused.path("error"));
            assertEquals(held + 2, ((Number) refused.path("details.limit")).longValue());
            assertEquals("addresses", refused.path("details.resource"));
            assertThat(Api.as("carol").get("/api/v1/addresses").<List<String>>path("items.instance"))
                    .as("nothing half-made").doesNotContain(second);
        } finally {
            Api.as("admin").body(limits).put(quota).then().statusCode(202);
        }
    }

    @Test
    void addressHoursAreBilledForTheTimeTheyWereHeld() {
        String host = localHost();
        Api.as("admin").body(Map.of("addresses", List.of(NET + ".80"))).post(
                "/api/v1/admin/hosts/" + host + "/addresses").then().statusCode(202);
        String jail = createJail("bob", "pub-bill");
        String assignment = Api.as("bob").body(Map.of("instance", jail)).post("/api/v1/addresses").path("target");
        // held for ten hours: the assignment is moved back in time, then released now
        Instant now = Instant.now();
        QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery(
                        "update address_assignments set created_at = ?1 where id = ?2")
                .setParameter(1, now.minus(Duration.ofHours(10)).atOffset(java.time.ZoneOffset.UTC))
                .setParameter(2, UUID.fromString(assignment))
                .executeUpdate());
        Api.as("bob").delete("/api/v1/addresses/" + assignment).then().statusCode(202);
        String acme = Api.as("admin").get("/api/v1/admin/tenants").path("items.find { it.slug == 'acme' }.id");
        Response usage = Api.as("admin").get("/api/v1/admin/usage/" + acme + "?from="
                + now.minus(Duration.ofHours(11)) + "&to=" + Instant.now().plusSeconds(60));
        assertEquals(200, usage.statusCode(), usage.asString());
        Number hours = usage.path("lines.find { it.instanceId == '" + jail + "' && it.resource == 'address' }.quantity");
        assertThat(hours).as("an address line for the instance").isNotNull();
        assertThat(hours.doubleValue()).isCloseTo(10.0, within(0.1));
        assertEquals("address-hour", usage.path("lines.find { it.instanceId == '" + jail
                + "' && it.resource == 'address' }.unit"));
        Number price = usage.path("lines.find { it.instanceId == '" + jail + "' && it.resource == 'address' }.unitPrice");
        assertThat(price.doubleValue()).as("the standard plan's price per address-hour").isCloseTo(0.005, within(1e-9));
    }

    private static Optional<Exposure> exposure(String instance) {
        PublicAccess published = RecordingHostDriver.published;
        return published.instances().stream().filter(e -> e.instanceId().toString().equals(instance)).findFirst();
    }

    private static Map<String, Object> limits(String tenant) {
        Map<String, Object> resources = Api.as("admin").get("/api/v1/admin/quotas/" + tenant).path("resources");
        Map<String, Object> limits = new HashMap<>();
        resources.forEach((name, line) -> limits.put(name, ((Map<?, ?>) line).get("limit")));
        return limits;
    }

    private static String localHost() {
        return Api.as("admin").get("/api/v1/admin/hosts").path("items.find { it.local }.id");
    }

    private static String createJail(String user, String prefix) {
        return io.multiplicity.support.Instances.jail(user, prefix, false);
    }
}

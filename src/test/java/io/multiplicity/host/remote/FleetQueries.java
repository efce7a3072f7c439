package io.multiplicity.host.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiplicity.support.Api;
import io.restassured.response.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** What the tests of several hosts ask the panel: where an instance is, and when an image is in the catalog. */
final class FleetQueries {

    private FleetQueries() {
    }

    /** The id of the host an instance is on, as an admin sees it. */
    static String hostOf(String instance) {
        Response found = Api.as("admin").get("/api/v1/instances/" + instance);
        assertEquals(200, found.statusCode(), found.asString());
        String hostName = found.path("host");
        List<Map<String, Object>> hosts = Api.as("admin").get("/api/v1/admin/hosts").path("items");
        return hosts.stream().filter(host -> hostName.equals(host.get("name"))).map(host -> (String) host.get("id"))
                .findFirst().orElseThrow(() -> new AssertionError("no host named " + hostName));
    }

    /**
     * Cordons every remote host but {@code mine}: the test classes of one profile share an
     * application and a database, and the hosts of a class that ran before, whose agents are gone,
     * still look alive for a while (until they miss the heartbeats that make them silent), so a
     * create of this class could be placed on one and wait for an agent that is gone.
     */
    static void retireOthers(java.util.Collection<String> mine) {
        List<Map<String, Object>> hosts = Api.as("admin").get("/api/v1/admin/hosts").path("items");
        for (Map<String, Object> host : hosts) {
            if (!Boolean.TRUE.equals(host.get("local")) && !Boolean.TRUE.equals(host.get("cordoned"))
                    && !mine.contains((String) host.get("id"))) {
                Response cordoned = Api.as("admin").post("/api/v1/admin/hosts/" + host.get("id") + "/cordon");
                assertEquals(true, cordoned.statusCode() / 100 == 2, cordoned.asString());
            }
        }
    }

    /** Waits (at most 120 s) until bob's catalog lists an image of that name. */
    static void awaitImage(String name) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(120));
        while (Instant.now().isBefore(deadline)) {
            List<String> names = Api.as("bob").get("/api/v1/images?limit=100").path("items.name");
            if (names != null && names.contains(name)) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("the built-in image " + name + " did not reach the catalog");
    }
}

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

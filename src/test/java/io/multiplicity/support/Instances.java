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
}

package io.multiplicity.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.multiplicity.support.Api;
import io.multiplicity.support.RecordingHostProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** A host that answers is seen again and again: its "last seen" follows the heartbeat, not the start. */
@QuarkusTest
@TestProfile(RecordingHostProfile.class)
class HostHeartbeatTest {

    @Test
    void theLocalHostsLastSeenAdvancesWhileItAnswers() throws Exception {
        Instant first = lastSeen();
        // The test profile beats every second.
        Thread.sleep(2500);
        Instant later = lastSeen();
        assertThat(later).as("last seen moves on while the host answers").isAfter(first);
        assertThat(Duration.between(later, Instant.now()).abs()).isLessThan(Duration.ofSeconds(5));
    }

    private static Instant lastSeen() {
        String seen = Api.as("admin").get("/api/v1/admin/hosts").then().statusCode(200)
                .extract().path("items.find { it.local }.lastSeen");
        assertThat(seen).as("the local host has a last seen").isNotNull();
        return Instant.parse(seen);
    }
}

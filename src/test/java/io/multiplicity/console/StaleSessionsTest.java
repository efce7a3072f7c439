package io.multiplicity.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.multiplicity.accounting.SettableClock;
import io.multiplicity.common.Clock;
import io.multiplicity.support.Api;
import io.multiplicity.support.RecordingHostProfile;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A console session whose gateway died (its replica crashed: nobody will ever record its end) is
 * closed once no replica has said it is alive for three heartbeats, and stops holding its tenant's
 * console sessions quota; a session a replica keeps saying is alive stays open.
 */
@QuarkusTest
@TestProfile(RecordingHostProfile.class)
class StaleSessionsTest {

    @Inject
    ConsoleTickets tickets;

    @Inject
    SessionLiveness liveness;

    @Inject
    ConsoleConfig config;

    @Inject
    EntityManager em;

    final SettableClock clock = new SettableClock(Instant.now());

    @AfterEach
    void realTime() {
        Clock.useSystem();
    }

    @Test
    void aSessionNoGatewaySpeaksForIsClosedAndFreesTheQuota() {
        String instance = runningJail();
        Clock.use(clock);
        // sessions other tests of this application left behind are stale by then, and go first
        clock.advance(config.heartbeat().multipliedBy(4));
        liveness.sweep();
        long before = allocated();
        // two sessions whose gateway is another replica: one of them goes on saying it is alive
        ConsoleTickets.Grant orphan = tickets.redeem(ticket(instance), "serial", "127.0.0.1");
        ConsoleTickets.Grant served = tickets.redeem(ticket(instance), "serial", "127.0.0.1");
        assertEquals(before + 2, allocated());

        Duration heartbeat = config.heartbeat();
        clock.advance(heartbeat.multipliedBy(2));
        liveness.touch(List.of(served.sessionId()));
        assertEquals(0, liveness.sweep(), "two heartbeats are not yet three");
        clock.advance(heartbeat.multipliedBy(2));
        liveness.touch(List.of(served.sessionId()));
        assertThat(liveness.sweep()).isGreaterThanOrEqualTo(1);

        ConsoleSession closed = session(orphan.sessionId());
        assertNotNull(closed.endedAt, "the orphan is closed");
        assertThat(closed.closeReason).contains("stale");
        assertNull(session(served.sessionId()).endedAt, "the one its replica speaks for stays open");
        assertEquals(before + 1, allocated(), "the quota holds only the live one");

        tickets.finish(served.sessionId(), 0, 0, "test", null);
        assertEquals(before, allocated());
    }

    private ConsoleSession session(UUID id) {
        return QuarkusTransaction.requiringNew().call(() -> em.find(ConsoleSession.class, id));
    }

    private static long allocated() {
        return Api.as("bob").get("/api/v1/quota").then().statusCode(200).extract()
                .<Integer>path("resources.consoleSessions.allocated").longValue();
    }

    private static String ticket(String instance) {
        Response issued = Api.as("bob").body(Map.of("type", "serial")).post("/api/v1/instances/" + instance + "/console");
        assertThat(issued.statusCode()).as(issued.asString()).isIn(200, 201);
        return issued.path("ticket");
    }

    private static String runningJail() {
        return io.multiplicity.support.Instances.jail("bob", "stale", true);
    }
}

package io.multiplicity.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A console ticket is redeemed only by whom it was issued to, as what they were then: a tenant's
 * user whose tenant was taken away since cannot redeem it (redemption took any user without a
 * tenant for a platform admin); and a ticket not yet redeemed counts against the console sessions
 * quota (a burst of tickets could open more sessions than it allows).
 */
@QuarkusTest
@TestProfile(RecordingHostProfile.class)
class ConsoleTicketRedemptionTest {

    @Inject
    ConsoleTickets tickets;

    @Inject
    EntityManager em;

    @Test
    void aUserWhoseTenantWasTakenAwayCannotRedeemATicketIssuedBefore() {
        String instance = runningJail();
        ConsoleTickets.Grant granted = tickets.redeem(ticket(instance), "serial", "127.0.0.1");
        assertEquals(UUID.fromString(instance), granted.instanceId(), "a member of the tenant opens its console");
        tickets.finish(granted.sessionId(), 0, 0, "test", null);

        String issued = ticket(instance);
        UUID acme = QuarkusTransaction.requiringNew().call(() -> (UUID) em.createNativeQuery(
                "select tenant_id from users where username = 'bob'").getSingleResult());
        QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery(
                "update users set tenant_id = null where username = 'bob'").executeUpdate());
        try {
            ConsoleTickets.Refusal refusal = assertThrows(ConsoleTickets.Refusal.class,
                    () -> tickets.redeem(issued, "serial", "127.0.0.1"));
            assertEquals(CloseCodes.WRONG_TICKET, refusal.code());
            assertThat(refusal.getMessage()).contains("no longer belongs");
        } finally {
            QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery(
                    "update users set tenant_id = ?1 where username = 'bob'").setParameter(1, acme).executeUpdate());
        }
    }

    @Test
    void ticketsNotYetRedeemedCountAgainstTheConsoleSessionsQuota() {
        String instance = runningJail();
        String acme = Api.as("admin").get("/api/v1/admin/tenants").path("items.find { it.slug == 'acme' }.id");
        long open = Api.as("bob").get("/api/v1/quota").then().statusCode(200).extract()
                .<Integer>path("resources.consoleSessions.allocated").longValue();
        Api.as("admin").body(Map.of("consoleSessions", open + 1)).put("/api/v1/admin/quotas/" + acme)
                .then().statusCode(202);
        try {
            String first = ticket(instance);
            Response second = Api.as("bob").body(Map.of("type", "serial")).post("/api/v1/instances/" + instance + "/console");
            assertEquals(409, second.statusCode(), "the waiting ticket holds the last session: " + second.asString());
            assertEquals("consoleSessions", second.path("details.resource"));
            ConsoleTickets.Grant granted = tickets.redeem(first, "serial", "127.0.0.1");
            tickets.finish(granted.sessionId(), 0, 0, "test", null);
            tickets.finish(tickets.redeem(ticket(instance), "serial", "127.0.0.1").sessionId(), 0, 0, "test", null);
        } finally {
            Api.as("admin").body(Map.of()).put("/api/v1/admin/quotas/" + acme).then().statusCode(202);
        }
    }

    private static String ticket(String instance) {
        Response issued = Api.as("bob").body(Map.of("type", "serial")).post("/api/v1/instances/" + instance + "/console");
        assertThat(issued.statusCode()).as(issued.asString()).isIn(200, 201);
        return issued.path("ticket");
    }

    private static String runningJail() {
        return io.multiplicity.support.Instances.jail("bob", "ticket", true);
    }
}

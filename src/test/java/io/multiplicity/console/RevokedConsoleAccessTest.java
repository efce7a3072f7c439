package io.multiplicity.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.multiplicity.support.Api;
import io.multiplicity.support.ConsoleClient;
import io.multiplicity.support.KeycloakAdmin;
import io.multiplicity.support.RecordingHostProfile;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.net.URL;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A user whose access is taken away in the identity provider (the real test Keycloak) loses the
 * consoles they have open at the next access check, which runs at most a minute apart: a disabled
 * account, and a member taken out of the tenant. Another user's session on the same VM stays.
 */
@QuarkusTest
@TestProfile(RecordingHostProfile.class)
class RevokedConsoleAccessTest {

    @Inject
    ConsoleAccessWatch watch;

    @Inject
    ConsoleConfig config;

    @Inject
    EntityManager em;

    @TestHTTPResource("/")
    URL base;

    private final List<String> users = new ArrayList<>();

    @BeforeEach
    void requireAdministrator() {
        if (!KeycloakAdmin.available()) {
            System.err.println("SKIPPED RevokedConsoleAccessTest: the test Keycloak's administrator password is not in"
                    + " data/keycloak-admin-password (start the test Keycloak with scripts/keycloak.sh test-start)");
        }
        Assumptions.assumeTrue(KeycloakAdmin.available(), "the test Keycloak's administrator is not known here");
    }

    @AfterEach
    void deleteUsers() {
        users.forEach(KeycloakAdmin::deleteUser);
    }

    @Test
    void theChecksRunAtMostAMinuteApart() {
        assertThat(config.accessCheck()).isLessThanOrEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void aDisabledUsersConsoleEndsAndOthersStay() throws Exception {
        UUID vm = runningVm();
        String name = "revokee" + ThreadLocalRandom.current().nextInt(100000);
        String id = KeycloakAdmin.createUser(name, "acme", "tenant-member");
        users.add(id);
        try (ConsoleClient revokee = ConsoleClient.connect(base.toString(), ticket(name, vm));
             ConsoleClient bob = ConsoleClient.connect(base.toString(), ticket("bob", vm))) {
            assertEquals(0, watch.check(), "nobody's access changed");
            assertEquals(0, revokee.closeCode(Duration.ofMillis(300)), "still open");

            KeycloakAdmin.setEnabled(id, false);
            assertThat(watch.check()).isEqualTo(1);
            assertEquals(CloseCodes.ACCESS_ENDED, revokee.closeCode(Duration.ofSeconds(5)));
            assertEquals(0, bob.closeCode(Duration.ofMillis(300)), "bob's session on the same VM stays open");
            ConsoleSession ended = endedSession(name);
            assertThat(ended.endedAt).isNotNull();
            assertThat(ended.closeReason).contains("access ended").contains("disabled");
            assertNull(lastSession("bob").endedAt);
        }
    }

    @Test
    void aMemberTakenOutOfTheTenantLosesTheConsole() throws Exception {
        UUID vm = runningVm();
        String name = "leaver" + ThreadLocalRandom.current().nextInt(100000);
        String id = KeycloakAdmin.createUser(name, "acme", "tenant-member");
        users.add(id);
        try (ConsoleClient leaver = ConsoleClient.connect(base.toString(), ticket(name, vm))) {
            KeycloakAdmin.leaveGroup(id, "acme");
            assertThat(watch.check()).isEqualTo(1);
            assertEquals(CloseCodes.ACCESS_ENDED, leaver.closeCode(Duration.ofSeconds(5)));
            assertThat(endedSession(name).closeReason).contains("no longer a member of the tenant");
        }
        Response audit = Api.as("alice").get("/api/v1/audit?limit=50");
        assertThat(audit.<List<String>>path("items.action")).contains("console.end");
    }

    /** The user's last session once the gateway has recorded its end (it does so as the socket closes). */
    private ConsoleSession endedSession(String username) throws InterruptedException {
        Instant deadline = Instant.now().plusSeconds(10);
        ConsoleSession session = lastSession(username);
        while (session.endedAt == null && Instant.now().isBefore(deadline)) {
            Thread.sleep(50);
            session = lastSession(username);
        }
        return session;
    }

    private ConsoleSession lastSession(String username) {
        return QuarkusTransaction.requiringNew().call(() -> em.createQuery(
                        "from ConsoleSession s where s.username = :user order by s.startedAt desc", ConsoleSession.class)
                .setParameter("user", username).setMaxResults(1).getSingleResult());
    }

    private static String ticket(String user, UUID vm) {
        Response issued = Api.as(user).body(Map.of("type", "vnc")).post("/api/v1/instances/" + vm + "/console");
        assertEquals(201, issued.statusCode(), issued.asString());
        return issued.path("url");
    }

    private UUID runningVm() {
        return io.multiplicity.support.Instances.runningVmOnRecordingHost(em, "rev");
    }
}

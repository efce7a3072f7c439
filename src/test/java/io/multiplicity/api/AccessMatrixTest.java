package io.multiplicity.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiplicity.support.Api;
import io.multiplicity.support.RecordingHostDriver;
import io.multiplicity.support.RecordingHostProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every endpoint × every role and tenant: who gets 200/202, who 403, and who 404 because the
 * resource belongs to another tenant. Tokens come from the real Keycloak with the project's realm.
 */
@QuarkusTest
@TestProfile(RecordingHostProfile.class)
class AccessMatrixTest {

    static final List<String> USERS = List.of("admin", "alice", "bob", "vera", "carol", "dave");
    static final Map<String, String> TENANT = Map.of("alice", "acme", "bob", "acme", "vera", "acme",
            "carol", "globex", "dave", "globex");

    static String acmeInstance;
    static String globexInstance;
    static String acmeOperation;
    static String hostId;
    static String acmeTenant;
    static String acmeImage;
    static String acmeTokenToRevoke;
    /** A panel-issued API token standing for each user: same tenant, same role (made by the tenant's admin). */
    static final Map<String, String> TOKENS = new java.util.HashMap<>();
    static final String TOKEN_OF = "token-of-";

    /** The request of a matrix user: a person's Keycloak login, or ("token-of-alice") the API token with alice's role. */
    static RequestSpecification request(String user) {
        return user.startsWith(TOKEN_OF) ? Api.withToken(TOKENS.get(user.substring(TOKEN_OF.length()))) : Api.as(user);
    }

    static void issueTokens() {
        Map<String, String[]> roles = Map.of("admin", new String[] {"admin", "platform-admin"},
                "alice", new String[] {"alice", "tenant-admin"}, "bob", new String[] {"alice", "tenant-member"},
                "vera", new String[] {"alice", "tenant-viewer"}, "carol", new String[] {"carol", "tenant-admin"},
                "dave", new String[] {"carol", "tenant-member"});
        roles.forEach((user, issuer) -> TOKENS.put(user, Api.as(issuer[0])
                .body(Map.of("name", "matrix-" + user + "-" + UUID.randomUUID().toString().substring(0, 6),
                        "role", issuer[1]))
                .post("/api/v1/tokens").then().statusCode(201).extract().path("secret")));
        acmeTokenToRevoke = Api.as("alice").body(Map.of("name", "matrix-revoke-" + UUID.randomUUID().toString()
                .substring(0, 6), "role", "tenant-viewer")).post("/api/v1/tokens").then().statusCode(201).extract()
                .path("token.id");
    }

    static void fixtures() {
        if (acmeInstance != null) {
            return;
        }
        RecordingHostDriver.reset();
        acmeOperation = create("bob", "matrix-acme");
        acmeInstance = waitFor(acmeOperation, "bob").path("target");
        String globexOperation = create("dave", "matrix-globex");
        globexInstance = waitFor(globexOperation, "dave").path("target");
        acmeTenant = Api.as("admin").get("/api/v1/admin/tenants").then().statusCode(200).extract()
                .path("items.find { it.slug == 'acme' }.id");
        hostId = Api.as("admin").get("/api/v1/admin/hosts").then().statusCode(200).extract()
                .path("items.find { it.name == 'test-host' }.id");
        acmeImage = Api.as("alice").body(Map.of("name", "matrix-" + UUID.randomUUID().toString().substring(0, 6),
                "kind", "jail", "os", "busybox")).post("/api/v1/images").then().statusCode(201).extract().path("id");
        byte[] rootfs = io.multiplicity.support.Tarballs.gzip(tar -> io.multiplicity.support.Tarballs.file(tar, "etc/os", "x"));
        Api.as("alice").contentType("application/octet-stream").queryParam("version", "1").body(rootfs)
                .post("/api/v1/images/" + acmeImage + "/versions").then().statusCode(201);
        issueTokens();
    }

    static String create(String user, String name) {
        return Api.as(user).body(Map.of("name", name + "-" + UUID.randomUUID().toString().substring(0, 6),
                        "kind", "jail", "image", "busybox", "type", "j1.nano"))
                .post("/api/v1/instances").then().statusCode(202).extract().path("id");
    }

    static Response waitFor(String operation, String user) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (Instant.now().isBefore(deadline)) {
            Response response = request(user).get("/api/v1/operations/" + operation);
            String state = response.path("state");
            if (List.of("succeeded", "failed", "cancelled").contains(state)) {
                return response;
            }
            sleep(50);
        }
        throw new AssertionError("operation " + operation + " did not finish in time");
    }

    @BeforeEach
    void ensureFixtures() {
        fixtures();
    }

    record Case(String user, String method, String path, Object body, int expected) {

        @Override
        public String toString() {
            return user + " " + method + " " + path + " → " + expected;
        }
    }

    @TestFactory
    Stream<DynamicTest> everyEndpointForEveryRole() {
        fixtures();
        List<Case> cases = new ArrayList<>();
        List<String> callers = new ArrayList<>(USERS);
        USERS.forEach(user -> callers.add(TOKEN_OF + user));
        for (String user : callers) {
            boolean viaToken = user.startsWith(TOKEN_OF);
            String person = viaToken ? user.substring(TOKEN_OF.length()) : user;
            boolean admin = person.equals("admin");
            String tenant = TENANT.get(person);
            boolean acme = "acme".equals(tenant);
            boolean writer = admin || List.of("alice", "bob", "carol", "dave").contains(person);
            boolean tenantAdmin = List.of("alice", "carol").contains(person);
            int readAcme = admin || acme ? 200 : 404;
            int readGlobex = admin || "globex".equals(tenant) ? 200 : 404;
            int writeAcme = !writer ? 403 : (admin || acme ? 202 : 404);

            cases.add(new Case(user, "GET", "/api/v1/instances", null, 200));
            cases.add(new Case(user, "GET", "/api/v1/instances/" + acmeInstance, null, readAcme));
            cases.add(new Case(user, "GET", "/api/v1/instances/" + globexInstance, null, readGlobex));
            cases.add(new Case(user, "GET", "/api/v1/instances/" + UUID.randomUUID(), null, 404));
            cases.add(new Case(user, "GET", "/api/v1/instance-types", null, 200));
            cases.add(new Case(user, "GET", "/api/v1/me", null, 200));
            cases.add(new Case(user, "PATCH", "/api/v1/instances/" + acmeInstance,
                    Map.of("memoryMiB", 64 + 16 * (callers.indexOf(user) + 1)), writeAcme));
            cases.add(new Case(user, "POST", "/api/v1/instances/" + acmeInstance + "/snapshot",
                    Map.of("name", "snap-" + user), writeAcme));
            cases.add(new Case(user, "GET", "/api/v1/instances/" + acmeInstance + "/snapshots", null, readAcme));
            for (String action : List.of("stop", "start", "restart")) {
                cases.add(new Case(user, "POST", "/api/v1/instances/" + acmeInstance + "/" + action, null, writeAcme));
            }
            Map<String, Object> body = new LinkedHashMap<>(Map.of("name", "m-" + user + "-"
                    + UUID.randomUUID().toString().substring(0, 6), "kind", "jail", "image", "busybox", "type", "j1.nano"));
            if (admin) {
                body.put("tenant", "globex");
            }
            cases.add(new Case(user, "POST", "/api/v1/instances", body, writer ? 202 : 403));
            cases.add(new Case(user, "GET", "/api/v1/operations", null, 200));
            cases.add(new Case(user, "GET", "/api/v1/operations/" + acmeOperation, null, readAcme));
            // The create operation has finished: members may try to cancel it and learn it is over.
            cases.add(new Case(user, "POST", "/api/v1/operations/" + acmeOperation + "/cancel", null,
                    !writer ? 403 : (admin || acme ? 409 : 404)));
            cases.add(new Case(user, "GET", "/api/v1/audit", null, admin || tenantAdmin ? 200 : 403));
            cases.add(new Case(user, "POST", "/api/v1/instances/" + acmeInstance + "/console", Map.of("type", "serial"),
                    admin || acme ? 201 : 404));
            cases.add(new Case(user, "GET", "/api/v1/console-sessions", null, admin || tenantAdmin ? 200 : 403));
            cases.add(new Case(user, "GET", "/api/v1/quota", null, admin ? 403 : 200));
            cases.add(new Case(user, "GET", "/api/v1/quota/history", null, admin ? 403 : 200));
            cases.add(new Case(user, "GET", "/api/v1/quota/hosts", null, admin ? 403 : 200));
            cases.add(new Case(user, "GET", "/api/v1/prices", null, admin ? 403 : 200));
            cases.add(new Case(user, "GET", "/api/v1/instances/" + acmeInstance + "/metrics", null, readAcme));
            cases.add(new Case(user, "GET", "/api/v1/admin/quotas/" + acmeTenant, null, admin ? 200 : 403));
            cases.add(new Case(user, "PUT", "/api/v1/admin/quotas/" + acmeTenant, Map.of(), admin ? 202 : 403));
            cases.add(new Case(user, "GET", "/api/v1/admin/tenants", null, admin ? 200 : 403));
            cases.add(new Case(user, "POST", "/api/v1/admin/tenants",
                    Map.of("slug", "t-" + user + "-" + UUID.randomUUID().toString().substring(0, 6)), admin ? 202 : 403));
            cases.add(new Case(user, "GET", "/api/v1/admin/hosts/" + hostId + "/history", null, admin ? 200 : 403));
            cases.add(new Case(user, "GET", "/api/v1/admin/hosts", null, admin ? 200 : 403));
            cases.add(new Case(user, "GET", "/api/v1/admin/hosts/" + hostId, null, admin ? 200 : 403));
            cases.add(new Case(user, "PATCH", "/api/v1/admin/hosts/" + hostId, Map.of("cpuRatio", 4.0), admin ? 202 : 403));
            int manageAcme = !writer ? 403 : (admin || acme ? 200 : 404);
            cases.add(new Case(user, "GET", "/api/v1/images", null, 200));
            cases.add(new Case(user, "GET", "/api/v1/images/" + acmeImage, null, readAcme));
            cases.add(new Case(user, "GET", "/api/v1/images/" + UUID.randomUUID(), null, 404));
            cases.add(new Case(user, "POST", "/api/v1/images", Map.of("name", "matrix-" + user, "kind", "jail",
                    "os", "busybox"), writer ? 201 : 403));
            cases.add(new Case(user, "PATCH", "/api/v1/images/" + acmeImage, Map.of("description", "by " + user),
                    manageAcme));
            cases.add(new Case(user, "POST", "/api/v1/images/" + acmeImage + "/channels",
                    Map.of("channel", "matrix-" + user, "version", "1"), manageAcme));
            cases.add(new Case(user, "POST", "/api/v1/images/" + acmeImage + "/shares", Map.of("tenant", "acme"),
                    !writer ? 403 : (admin || acme ? 400 : 404)));
            // API tokens are managed by people only: every token is refused, whatever its role
            int manageTokens = viaToken || !(admin || tenantAdmin) ? 403 : 200;
            cases.add(new Case(user, "GET", "/api/v1/tokens", null, manageTokens));
            cases.add(new Case(user, "POST", "/api/v1/tokens", Map.of("name", "m-" + user.replace(TOKEN_OF, "t-") + "-"
                    + UUID.randomUUID().toString().substring(0, 6), "role", admin ? "platform-admin" : "tenant-viewer"),
                    manageTokens == 200 ? 201 : 403));
            cases.add(new Case(user, "GET", "/api/v1/tokens/" + acmeTokenToRevoke, null,
                    manageTokens == 403 ? 403 : (admin || acme ? 200 : 404)));
            cases.add(new Case(user, "DELETE", "/api/v1/tokens/" + acmeTokenToRevoke, null,
                    manageTokens == 403 ? 403 : (admin || acme ? 200 : 404)));
            cases.add(new Case(user, "DELETE", "/api/v1/images/" + acmeImage + "/versions/1", null,
                    !writer ? 403 : (admin || acme ? -1 : 404)));
            cases.add(new Case(user, "DELETE", "/api/v1/instances/" + globexInstance, null,
                    !writer ? 403 : (admin || "globex".equals(tenant) ? -1 : 404)));
        }
        return cases.stream()
                .filter(c -> c.expected() != -1)
                .map(c -> DynamicTest.dynamicTest(c.toString(), () -> check(c)));
    }

    private void check(Case c) {
        RequestSpecification request = request(c.user());
        if (c.body() != null) {
            request = request.body(c.body());
        }
        Response response = request.request(c.method(), c.path());
        assertEquals(c.expected(), response.statusCode(), c + " answered " + response.asString());
        if (c.expected() >= 400) {
            assertThat((String) response.path("error")).as("error code of " + c).isNotBlank();
            assertThat((String) response.path("message")).as("message of " + c).isNotBlank();
        }
        if (c.expected() == 202) {
            String operation = response.path("id");
            assertThat(response.header("Location")).endsWith("/api/v1/operations/" + operation);
            assertThat((String) response.path("state")).isIn("pending", "running", "succeeded");
            waitFor(operation, c.user());
        }
    }

    @Test
    void tenantsSeeOnlyTheirOwnInstances() {
        List<String> acmeTenants = Api.as("alice").get("/api/v1/instances").then().statusCode(200).extract()
                .path("items.tenant");
        assertThat(acmeTenants).isNotEmpty().containsOnly("acme");
        List<String> globexTenants = Api.as("dave").get("/api/v1/instances").then().statusCode(200).extract()
                .path("items.tenant");
        assertThat(globexTenants).isNotEmpty().containsOnly("globex");
        List<String> all = Api.as("admin").get("/api/v1/instances").then().statusCode(200).extract().path("items.tenant");
        assertThat(all).contains("acme", "globex");
    }

    @Test
    void theEventStreamCarriesTheTenantsOwnEventsOnly() throws Exception {
        var http = java.net.http.HttpClient.newHttpClient();
        var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                        io.restassured.RestAssured.baseURI + ":" + io.restassured.RestAssured.port + "/api/v1/events"))
                .header("Authorization", "Bearer " + io.multiplicity.support.TestKeycloak.token("carol"))
                .header("Accept", "text/event-stream")
                .build();
        var response = http.send(request, java.net.http.HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, response.statusCode());
        StringBuilder seen = new StringBuilder();
        Thread reader = Thread.ofVirtual().start(() -> {
            try (var in = response.body()) {
                byte[] buffer = new byte[4096];
                int read;
                while ((read = in.read(buffer)) > 0) {
                    synchronized (seen) {
                        seen.append(new String(buffer, 0, read, java.nio.charset.StandardCharsets.UTF_8));
                    }
                }
            } catch (java.io.IOException e) {
                // closed
            }
        });
        String acmeName = "evt-acme-" + UUID.randomUUID().toString().substring(0, 6);
        Api.as("bob").body(Map.of("name", acmeName, "kind", "jail", "image", "busybox", "type", "j1.nano"))
                .post("/api/v1/instances").then().statusCode(202);
        String globexName = "evt-globex-" + UUID.randomUUID().toString().substring(0, 6);
        Api.as("dave").body(Map.of("name", globexName, "kind", "jail", "image", "busybox", "type", "j1.nano"))
                .post("/api/v1/instances").then().statusCode(202);
        java.time.Instant deadline = java.time.Instant.now().plusSeconds(15);
        while (java.time.Instant.now().isBefore(deadline)) {
            synchronized (seen) {
                if (seen.indexOf(globexName) >= 0 && seen.indexOf("operation.succeeded") >= 0) {
                    break;
                }
            }
            Thread.sleep(100);
        }
        reader.interrupt();
        synchronized (seen) {
            assertThat(seen.toString()).contains("event:instance.created").contains(globexName)
                    .contains("id:").doesNotContain(acmeName);
        }
    }

    @Test
    void everyoneLearnsTheirOwnTenantAndRoles() {
        Response bob = Api.as("bob").get("/api/v1/me");
        assertEquals("bob", bob.path("username"));
        assertEquals("acme", bob.path("tenant"));
        assertEquals(List.of("tenant-member"), bob.path("roles"));
        Response admin = Api.as("admin").get("/api/v1/me");
        assertThat((Object) admin.path("tenant")).isNull();
        assertEquals(List.of("platform-admin"), admin.path("roles"));
        Api.anonymous().get("/api/v1/me").then().statusCode(401);
    }

    @Test
    void anotherTenantsIdLooksExactlyLikeAnUnknownId() {
        Response foreign = Api.as("carol").get("/api/v1/instances/" + acmeInstance);
        UUID unknown = UUID.randomUUID();
        Response missing = Api.as("carol").get("/api/v1/instances/" + unknown);
        assertEquals(404, foreign.statusCode());
        assertEquals(404, missing.statusCode());
        assertEquals(missing.path("error"), (Object) foreign.path("error"));
        assertEquals(((String) missing.path("message")).replace(unknown.toString(), "ID"),
                ((String) foreign.path("message")).replace(acmeInstance, "ID"));
    }

    @Test
    void tenantAdminsReadOnlyTheirTenantsAudit() {
        List<String> tenants = Api.as("alice").get("/api/v1/audit?limit=500").then().statusCode(200).extract()
                .path("items.tenant");
        String acme = Api.as("admin").get("/api/v1/admin/tenants").then().extract()
                .path("items.find { it.slug == 'acme' }.id");
        assertThat(tenants).isNotEmpty().containsOnly(acme);
    }

    @Test
    void everyEndpointWantsAToken() {
        List<String[]> endpoints = List.of(
                new String[] {"GET", "/api/v1/instances"}, new String[] {"POST", "/api/v1/instances"},
                new String[] {"GET", "/api/v1/instances/" + acmeInstance},
                new String[] {"DELETE", "/api/v1/instances/" + acmeInstance},
                new String[] {"POST", "/api/v1/instances/" + acmeInstance + "/start"},
                new String[] {"GET", "/api/v1/instance-types"}, new String[] {"GET", "/api/v1/operations"},
                new String[] {"GET", "/api/v1/operations/" + acmeOperation},
                new String[] {"POST", "/api/v1/operations/" + acmeOperation + "/cancel"},
                new String[] {"GET", "/api/v1/audit"}, new String[] {"GET", "/api/v1/events"},
                new String[] {"GET", "/api/v1/admin/tenants"}, new String[] {"GET", "/api/v1/admin/hosts"});
        for (String[] endpoint : endpoints) {
            String accept = endpoint[1].endsWith("/events") ? "text/event-stream" : "application/json";
            Response response = Api.anonymous().accept(accept).body("{}").request(endpoint[0], endpoint[1]);
            assertEquals(401, response.statusCode(), endpoint[0] + " " + endpoint[1] + ": " + response.asString());
            assertEquals("unauthorized", response.path("error"));
            Response forged = Api.anonymous().accept(accept).auth().oauth2("not.a.token").body("{}").request(endpoint[0], endpoint[1]);
            assertEquals(401, forged.statusCode(), "forged token on " + endpoint[1]);
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package io.multiplicity.token;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiplicity.support.Api;
import io.multiplicity.support.RecordingHostProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * API tokens as a script uses them: a tenant admin (signed in at the real Keycloak) creates one,
 * the script lists the tenant's instances with it, and after the revocation it answers 401.
 */
@QuarkusTest
@TestProfile(RecordingHostProfile.class)
class ApiTokenTest {

    static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static Response create(String user, String name, String role, Instant expiresAt) {
        Map<String, Object> body = expiresAt == null ? Map.of("name", name, "role", role)
                : Map.of("name", name, "role", role, "expiresAt", expiresAt.toString());
        return Api.as(user).body(body).post("/api/v1/tokens");
    }

    static String instance(String user) {
        return Api.as(user).body(Map.of("name", unique("tok"), "kind", "jail", "image", "busybox", "type", "j1.nano"))
                .post("/api/v1/instances").then().statusCode(202).extract().path("target");
    }

    @Test
    void aTenantAdminsTokenListsTheTenantsInstancesUntilItIsRevoked() {
        String acmeInstance = instance("bob");
        String globexInstance = instance("dave");
        String name = unique("ci");
        Response created = create("alice", name, "tenant-member", null);
        assertEquals(201, created.statusCode(), created.asString());
        String secret = created.path("secret");
        String id = created.path("token.id");
        assertThat(secret).startsWith("mpt_").hasSizeGreaterThan(50);
        assertThat(created.header("Location")).endsWith("/api/v1/tokens/" + id);
        assertEquals("acme", created.path("token.tenant"));
        assertEquals("active", created.path("token.state"));

        // the list shows the token, never its secret
        Response listed = Api.as("alice").get("/api/v1/tokens?limit=500");
        assertEquals(200, listed.statusCode());
        assertThat(listed.asString()).contains(name).doesNotContain(secret.substring(21));
        assertThat((List<String>) listed.path("items.tenant")).containsOnly("acme");

        // curl -H "Authorization: Bearer $TOKEN" /api/v1/instances
        Response instances = Api.withToken(secret).get("/api/v1/instances?limit=500");
        assertEquals(200, instances.statusCode(), instances.asString());
        assertThat((List<String>) instances.path("items.tenant")).containsOnly("acme");
        assertThat((List<String>) instances.path("items.id")).contains(acmeInstance).doesNotContain(globexInstance);
        Api.withToken(secret).get("/api/v1/instances/" + globexInstance).then().statusCode(404);

        Response me = Api.withToken(secret).get("/api/v1/me");
        assertEquals("token:" + name, me.path("username"));
        assertEquals("acme", me.path("tenant"));
        assertEquals(List.of("tenant-member"), me.path("roles"));

        // a member's token creates; the audit log names the token for the create and for every use
        String operation = Api.withToken(secret).body(Map.of("name", unique("by-token"), "kind", "jail",
                "image", "busybox", "type", "j1.nano")).post("/api/v1/instances").then().statusCode(202)
                .extract().path("id");
        assertEquals("token:" + name, Api.as("alice").get("/api/v1/operations/" + operation).path("requestedBy"));
        Response audit = Api.as("alice").get("/api/v1/audit?limit=500");
        assertThat((List<String>) audit.path("items.findAll { it.action == 'api-token.use' }.actor"))
                .contains("token:" + name);
        assertThat((List<String>) audit.path("items.findAll { it.action == 'instance.create' }.actor"))
                .contains("token:" + name);
        assertThat(Api.as("alice").get("/api/v1/tokens/" + id).<String>path("lastUsedAt")).isNotNull();

        // revoked: the very next call answers 401
        Response revoked = Api.as("alice").delete("/api/v1/tokens/" + id);
        assertEquals(200, revoked.statusCode(), revoked.asString());
        assertEquals("revoked", revoked.path("state"));
        Response after = Api.withToken(secret).get("/api/v1/instances");
        assertEquals(401, after.statusCode(), after.asString());
        assertEquals("unauthorized", after.path("error"));
    }

    @Test
    void aViewersTokenReadsButCannotChangeAnything() {
        String acmeInstance = instance("bob");
        String secret = create("alice", unique("viewer"), "tenant-viewer", null).then().statusCode(201)
                .extract().path("secret");
        Api.withToken(secret).get("/api/v1/instances/" + acmeInstance).then().statusCode(200);
        Response refused = Api.withToken(secret).post("/api/v1/instances/" + acmeInstance + "/stop");
        assertEquals(403, refused.statusCode(), refused.asString());
        assertEquals("forbidden", refused.path("error"));
        Api.withToken(secret).body(Map.of("name", unique("no"), "kind", "jail", "image", "busybox", "type", "j1.nano"))
                .post("/api/v1/instances").then().statusCode(403);
        Api.withToken(secret).delete("/api/v1/instances/" + acmeInstance).then().statusCode(403);
    }

    @Test
    void anExpiredTokenAnswers401() throws InterruptedException {
        Api.as("alice").get("/api/v1/me").then().statusCode(200); // alice's login is fetched before the clock runs
        Instant expires = Instant.now().plusSeconds(6);
        String secret = create("alice", unique("short"), "tenant-viewer", expires).then().statusCode(201)
                .extract().path("secret");
        Api.withToken(secret).get("/api/v1/instances").then().statusCode(200);
        Thread.sleep(Math.max(0, Duration.between(Instant.now(), expires).toMillis()) + 500);
        Response expired = Api.withToken(secret).get("/api/v1/instances");
        assertEquals(401, expired.statusCode(), expired.asString());
        assertEquals("unauthorized", expired.path("error"));
    }

    @Test
    void aForgedOrTamperedTokenAnswers401() {
        String secret = create("carol", unique("real"), "tenant-admin", null).then().statusCode(201)
                .extract().path("secret");
        String tampered = secret.substring(0, secret.length() - 1) + (secret.endsWith("A") ? "B" : "A");
        Api.withToken(tampered).get("/api/v1/instances").then().statusCode(401);
        Api.withToken("mpt_0123456789abcdef_" + "x".repeat(43)).get("/api/v1/instances").then().statusCode(401);
        Api.withToken("mpt_garbage").get("/api/v1/instances").then().statusCode(401);
        Api.withToken(secret).get("/api/v1/instances").then().statusCode(200);
    }

    @Test
    void nobodyGivesATokenMoreThanTheyHave() {
        Response member = create("bob", unique("mine"), "tenant-member", null);
        assertEquals(403, member.statusCode(), member.asString());
        Response above = create("alice", unique("above"), "platform-admin", null);
        assertEquals(403, above.statusCode(), above.asString());
        assertEquals("forbidden", above.path("error"));
        Response unknown = create("alice", unique("odd"), "root", null);
        assertEquals(400, unknown.statusCode());
        assertEquals("role", unknown.path("details.field"));
        Response tooLong = create("alice", unique("long"), "tenant-viewer", Instant.now().plus(Duration.ofDays(400)));
        assertEquals(400, tooLong.statusCode());
        assertEquals("expiresAt", tooLong.path("details.field"));
        Response past = create("alice", unique("past"), "tenant-viewer", Instant.now().minusSeconds(5));
        assertEquals(400, past.statusCode());
        Response badName = create("alice", "Not A Label", "tenant-viewer", null);
        assertEquals(400, badName.statusCode());

        // a token, even an admin's, never makes or revokes tokens
        String adminToken = create("alice", unique("admin"), "tenant-admin", null).then().statusCode(201)
                .extract().path("secret");
        Response bred = Api.withToken(adminToken).body(Map.of("name", unique("child"), "role", "tenant-viewer"))
                .post("/api/v1/tokens");
        assertEquals(403, bred.statusCode(), bred.asString());
        Api.withToken(adminToken).get("/api/v1/tokens").then().statusCode(403);

        // nothing was created by the refusals
        List<String> names = Api.as("alice").get("/api/v1/tokens?limit=500").path("items.name");
        assertThat(names).noneMatch(name -> name.startsWith("mine-") || name.startsWith("above-")
                || name.startsWith("odd-") || name.startsWith("long-") || name.startsWith("past-")
                || name.startsWith("child-"));
    }

    @Test
    void anotherTenantsTokenIsNotFound() {
        String id = create("alice", unique("acme-only"), "tenant-viewer", null).then().statusCode(201)
                .extract().path("token.id");
        Api.as("carol").get("/api/v1/tokens/" + id).then().statusCode(404);
        Api.as("carol").delete("/api/v1/tokens/" + id).then().statusCode(404);
        assertThat((List<String>) Api.as("carol").get("/api/v1/tokens?limit=500").path("items.id")).doesNotContain(id);
        assertEquals("active", Api.as("alice").get("/api/v1/tokens/" + id).path("state"));
    }

    @Test
    void aPlatformTokenSeesEveryTenant() {
        instance("bob");
        instance("dave");
        Response created = create("admin", unique("ops"), "platform-admin", null);
        assertEquals(201, created.statusCode(), created.asString());
        assertThat((Object) created.path("token.tenant")).isNull();
        String secret = created.path("secret");
        List<String> tenants = Api.withToken(secret).get("/api/v1/instances?limit=500").path("items.tenant");
        assertThat(tenants).contains("acme", "globex");
        Api.withToken(secret).get("/api/v1/admin/tenants").then().statusCode(200);
        assertEquals(400, create("admin", unique("tenantish"), "tenant-member", null).statusCode());
    }
}

package io.multiplicity.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiplicity.support.Api;
import io.multiplicity.support.ConsoleClient;
import io.multiplicity.support.Instances;
import io.multiplicity.support.RecordingHostProfile;
import io.multiplicity.support.Tarballs;
import io.multiplicity.support.TestKeycloak;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import java.net.URL;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * What costs the panel work is bounded per user, per client address and per tenant: console
 * tickets, console connection attempts (refusals of malformed tickets cost no database write),
 * usage and billing reports, and concurrent image imports. Small limits make them visible.
 */
@QuarkusTest
@TestProfile(RateLimitTest.SmallLimits.class)
class RateLimitTest {

    public static class SmallLimits extends RecordingHostProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> overrides = new HashMap<>(super.getConfigOverrides());
            overrides.put("multiplicity.rate-limits.console-tickets-per-minute", "3");
            overrides.put("multiplicity.rate-limits.console-connects-per-minute", "3");
            overrides.put("multiplicity.rate-limits.reports-per-minute", "2");
            overrides.put("multiplicity.rate-limits.imports-per-tenant", "1");
            return overrides;
        }
    }

    @TestHTTPResource("/")
    URL base;

    static void limited(Response response, String code) {
        assertEquals(429, response.statusCode(), response.asString());
        assertThat(response.<String>path("error")).isEqualTo(code);
        assertThat(Integer.parseInt(response.header("Retry-After"))).isPositive();
    }

    @Test
    void consoleTicketsArePerUser() {
        String web = Instances.jail("bob", "limits", true);
        for (int i = 0; i < 3; i++) {
            Api.as("bob").body(Map.of("type", "serial")).post("/api/v1/instances/" + web + "/console")
                    .then().statusCode(201);
        }
        limited(Api.as("bob").body(Map.of("type", "serial")).post("/api/v1/instances/" + web + "/console"),
                "rate_limited");
        Api.as("alice").body(Map.of("type", "serial")).post("/api/v1/instances/" + web + "/console")
                .then().statusCode(201);
    }

    @Test
    void reportsArePerUser() {
        String month = java.time.YearMonth.now(java.time.ZoneOffset.UTC).toString();
        Api.as("carol").queryParam("period", month).get("/api/v1/billing").then().statusCode(200);
        Api.as("carol").queryParam("period", month).get("/api/v1/billing").then().statusCode(200);
        limited(Api.as("carol").queryParam("period", month).get("/api/v1/billing"), "rate_limited");
        Api.as("dave").queryParam("period", month).get("/api/v1/billing").then().statusCode(200);
    }

    @Test
    void consoleConnectionsArePerAddressAndMalformedTicketsWriteNothing() throws Exception {
        int refusedBefore = refusals();
        for (int i = 0; i < 3; i++) {
            try (ConsoleClient client = ConsoleClient.connect(base.toString(), "/ws/console/serial/not-a-ticket-" + i)) {
                assertEquals(4401, client.closeCode(Duration.ofSeconds(10)), client.closeReason());
            }
        }
        try (ConsoleClient client = ConsoleClient.connect(base.toString(), "/ws/console/serial/" + "A".repeat(43))) {
            assertEquals(1013, client.closeCode(Duration.ofSeconds(10)), "try again later: " + client.closeReason());
        }
        assertEquals(refusedBefore, refusals(), "refusals of malformed tickets and of a spent allowance are not audited");
    }

    @Test
    void oneTenantRunsAtMostItsShareOfImports() throws Exception {
        String slow = image("alice");
        String other = image("alice");
        byte[] rootfs = Tarballs.gzip(tar -> Tarballs.file(tar, "etc/os", "x"));
        // an upload that sends its headers and first bytes, then waits: it holds the tenant's one slot
        java.net.Socket socket = new java.net.Socket("localhost", RestAssured.port);
        var out = socket.getOutputStream();
        out.write(("POST /api/v1/images/" + slow + "/versions?version=1 HTTP/1.1\r\n"
                + "Host: localhost:" + RestAssured.port + "\r\n"
                + "Authorization: Bearer " + TestKeycloak.token("alice") + "\r\n"
                + "Content-Type: application/octet-stream\r\n"
                + "Content-Length: " + rootfs.length + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        out.write(rootfs, 0, 10);
        out.flush();
        Response second = null;
        int attempt = 0;
        do {
            // until the first upload's request reaches the panel and takes the slot
            Thread.sleep(200);
            second = Api.as("alice").contentType("application/octet-stream").queryParam("version", "v" + attempt)
                    .body(rootfs).post("/api/v1/images/" + other + "/versions");
        } while (second.statusCode() == 201 && ++attempt < 50);
        limited(second, "too_many_imports");
        assertThat(second.<String>path("details.scope")).isEqualTo("tenant");
        out.write(rootfs, 10, rootfs.length - 10);
        out.flush();
        String status = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                java.nio.charset.StandardCharsets.US_ASCII)).readLine();
        socket.close();
        assertThat(status).as("the held upload completes").startsWith("HTTP/1.1 201");
        Api.as("alice").contentType("application/octet-stream").queryParam("version", "after").body(rootfs)
                .post("/api/v1/images/" + other + "/versions").then().statusCode(201);
    }

    private static String image(String user) {
        return Api.as(user).body(Map.of("name", "limits-" + UUID.randomUUID().toString().substring(0, 6), "kind", "jail",
                "os", "busybox")).post("/api/v1/images").then().statusCode(201).extract().path("id");
    }

    private static int refusals() {
        return Api.as("admin").get("/api/v1/audit?action=console.refused&limit=500").<List<?>>path("items").size();
    }

}

package io.multiplicity.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.multiplicity.support.Api;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Webhooks end to end: a local HTTPS receiver with a self-signed certificate (which the panel is
 * configured to trust) gets signed deliveries of a real instance's life, and a receiver that fails
 * twice gets the event on the third attempt.
 */
@QuarkusTest
@TestProfile(WebhookProfile.class)
class WebhookDeliveryTest {

    /** A request as the receiver saw it. */
    record Received(String path, String signature, String eventHeader, String delivery, String body) {
    }

    static HttpsServer receiver;
    static final List<Received> RECEIVED = new ArrayList<>();
    static final AtomicInteger FLAKY_CALLS = new AtomicInteger();
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void startReceiver() throws Exception {
        WebhookReceiverCertificate.ensure();
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(WebhookReceiverCertificate.KEY_STORE)) {
            keys.load(in, WebhookReceiverCertificate.PASSWORD.toCharArray());
        }
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keys, WebhookReceiverCertificate.PASSWORD.toCharArray());
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(keyManagers.getKeyManagers(), null, null);
        receiver = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.setHttpsConfigurator(new HttpsConfigurator(tls));
        receiver.createContext("/", WebhookDeliveryTest::receive);
        receiver.start();
    }

    @AfterAll
    static void stopReceiver() {
        if (receiver != null) {
            receiver.stop(0);
        }
    }

    static void receive(HttpExchange exchange) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String path = exchange.getRequestURI().getPath();
        synchronized (RECEIVED) {
            RECEIVED.add(new Received(path, exchange.getRequestHeaders().getFirst("Multiplicity-Signature"),
                    exchange.getRequestHeaders().getFirst("Multiplicity-Event"),
                    exchange.getRequestHeaders().getFirst("Multiplicity-Delivery"), body));
        }
        int status = path.startsWith("/down") ? 503
                : path.startsWith("/flaky") && FLAKY_CALLS.incrementAndGet() <= 2 ? 500 : 204;
        exchange.sendResponseHeaders(status, -1);
        exchange.close();
    }

    static String url(String path) {
        return "https://localhost:" + receiver.getAddress().getPort() + path;
    }

    static List<Received> receivedAt(String path) {
        synchronized (RECEIVED) {
            return RECEIVED.stream().filter(received -> received.path().equals(path)).toList();
        }
    }

    /** What a receiver does: HMAC-SHA256 over "<t>.<body>" with the secret, compared in constant time. */
    static boolean signatureIsValid(String header, String body, String secret) throws Exception {
        String timestamp = null;
        String signature = null;
        for (String part : header.split(",")) {
            if (part.startsWith("t=")) {
                timestamp = part.substring(2);
            } else if (part.startsWith("v1=")) {
                signature = part.substring(3);
            }
        }
        if (timestamp == null || signature == null
                || Math.abs(Instant.now().getEpochSecond() - Long.parseLong(timestamp)) > 300) {
            return false;
        }
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        byte[] expected = mac.doFinal((timestamp + "." + body).getBytes(StandardCharsets.UTF_8));
        return MessageDigest.isEqual(expected, HexFormat.of().parseHex(signature));
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(120));
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(100);
        }
    }

    static void finish(String operation) throws InterruptedException {
        await("operation " + operation, () -> List.of("succeeded", "failed", "cancelled")
                .contains(Api.as("alice").get("/api/v1/operations/" + operation).<String>path("state")));
        assertEquals("succeeded", Api.as("alice").get("/api/v1/operations/" + operation).path("state"));
    }

    static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void anInstancesCreateStartAndDeleteArriveSignedAndInOrder() throws Exception {
        String path = "/hooks/" + UUID.randomUUID();
        Response registered = Api.as("alice").body(Map.of("name", unique("life"), "url", url(path),
                "events", List.of("operation.succeeded", "instance.*"))).post("/api/v1/webhooks");
        assertEquals(201, registered.statusCode(), registered.asString());
        String secret = registered.path("secret");
        assertThat(secret).startsWith("whsec_");
        String webhook = registered.path("webhook.id");
        assertThat(Api.as("alice").get("/api/v1/webhooks/" + webhook).asString()).doesNotContain(secret);

        String created = Api.as("alice").body(Map.of("name", unique("hooked"), "kind", "jail", "image", "busybox",
                "type", "j1.nano")).post("/api/v1/instances").then().statusCode(202).extract().path("id");
        finish(created);
        String instance = Api.as("alice").get("/api/v1/operations/" + created).path("target");
        finish(Api.as("alice").post("/api/v1/instances/" + instance + "/stop").then().statusCode(202).extract().path("id"));
        finish(Api.as("alice").post("/api/v1/instances/" + instance + "/start").then().statusCode(202).extract().path("id"));
        finish(Api.as("alice").delete("/api/v1/instances/" + instance).then().statusCode(202).extract().path("id"));

        await("the delete's delivery", () -> receivedAt(path).stream().anyMatch(received ->
                received.body().contains("\"instance.delete\"") && received.body().contains(instance)));
        List<String> kinds = new ArrayList<>();
        List<String> types = new ArrayList<>();
        for (Received received : receivedAt(path)) {
            assertThat(signatureIsValid(received.signature(), received.body(), secret))
                    .as("signature of " + received.body()).isTrue();
            assertThat(signatureIsValid(received.signature(), received.body() + " ", secret)).isFalse();
            JsonNode event = JSON.readTree(received.body());
            assertEquals(event.path("type").asText(), received.eventHeader());
            assertEquals("acme", event.path("tenant").asText());
            if (!instance.equals(event.path("target").asText())) {
                continue;
            }
            types.add(event.path("type").asText());
            if (event.path("type").asText().equals("operation.succeeded")) {
                kinds.add(event.path("payload").path("kind").asText());
            }
        }
        assertThat(types).startsWith("instance.created");
        assertThat(kinds).containsSubsequence("instance.create", "instance.start", "instance.delete");
        assertThat(kinds.indexOf("instance.create")).isLessThan(kinds.lastIndexOf("instance.start"));

        List<String> states = Api.as("alice").get("/api/v1/webhooks/" + webhook + "/deliveries?limit=500")
                .then().statusCode(200).extract().path("items.state");
        assertThat(states).isNotEmpty().containsOnly("succeeded");

        // deleted: nothing more arrives
        Api.as("alice").delete("/api/v1/webhooks/" + webhook).then().statusCode(200);
        int before = receivedAt(path).size();
        String another = Api.as("alice").body(Map.of("name", unique("after"), "kind", "jail", "image", "busybox",
                "type", "j1.nano")).post("/api/v1/instances").then().statusCode(202).extract().path("id");
        finish(another);
        Thread.sleep(1500);
        assertEquals(before, receivedAt(path).size());
    }

    @Test
    void aReceiverThatFailsTwiceGetsTheEventOnTheThirdTry() throws Exception {
        Response registered = Api.as("alice").body(Map.of("name", unique("flaky"), "url", url("/flaky"),
                "events", List.of("instance.created"))).post("/api/v1/webhooks");
        assertEquals(201, registered.statusCode(), registered.asString());
        String secret = registered.path("secret");
        String webhook = registered.path("webhook.id");
        String name = unique("retried");
        finish(Api.as("alice").body(Map.of("name", name, "kind", "jail", "image", "busybox", "type", "j1.nano"))
                .post("/api/v1/instances").then().statusCode(202).extract().path("id"));

        await("three attempts", () -> receivedAt("/flaky").size() >= 3);
        List<Received> attempts = receivedAt("/flaky");
        assertThat(attempts).hasSize(3);
        assertThat(attempts.stream().map(Received::delivery).distinct()).hasSize(1);
        assertThat(attempts.stream().map(Received::body).distinct()).hasSize(1);
        assertThat(attempts.get(2).body()).contains(name);
        for (Received attempt : attempts) {
            assertThat(signatureIsValid(attempt.signature(), attempt.body(), secret)).isTrue();
        }
        await("the delivery recorded as succeeded", () -> "succeeded".equals(Api.as("alice")
                .get("/api/v1/webhooks/" + webhook + "/deliveries").path("items[0].state")));
        Response deliveries = Api.as("alice").get("/api/v1/webhooks/" + webhook + "/deliveries");
        assertEquals(3, (int) deliveries.path("items[0].attempts"));
        assertEquals(204, (int) deliveries.path("items[0].lastStatus"));
        assertEquals("instance.created", deliveries.path("items[0].eventType"));
    }

    @Test
    void anEndpointThatKeepsFailingIsDisabledWithANotice() throws Exception {
        String path = "/down/" + UUID.randomUUID();
        String name = unique("down");
        String webhook = Api.as("alice").body(Map.of("name", name, "url", url(path), "events", List.of("instance.created")))
                .post("/api/v1/webhooks").then().statusCode(201).extract().path("webhook.id");
        String noticePath = "/notices/" + UUID.randomUUID();
        String notices = Api.as("alice").body(Map.of("name", unique("notices"), "url", url(noticePath),
                "events", List.of("webhook.disabled"))).post("/api/v1/webhooks").then().statusCode(201).extract()
                .path("webhook.id");
        finish(Api.as("alice").body(Map.of("name", unique("unheard"), "kind", "jail", "image", "busybox",
                "type", "j1.nano")).post("/api/v1/instances").then().statusCode(202).extract().path("id"));

        await("the webhook disabled", () -> Boolean.FALSE.equals(Api.as("alice").get("/api/v1/webhooks/" + webhook)
                .path("enabled")));
        Response disabled = Api.as("alice").get("/api/v1/webhooks/" + webhook);
        assertThat((String) disabled.path("disabledReason")).contains("the endpoint answered 503");
        int attempts = receivedAt(path).size();
        assertThat(attempts).as("attempts before it was disabled").isGreaterThanOrEqualTo(3);
        Response delivery = Api.as("alice").get("/api/v1/webhooks/" + webhook + "/deliveries");
        assertEquals("failed", delivery.path("items[0].state"));
        assertEquals(503, (int) delivery.path("items[0].lastStatus"));
        assertEquals(attempts, (int) delivery.path("items[0].attempts"));

        // the notice: an audit entry by the dispatcher, and a webhook.disabled event in the tenant's stream
        Response audit = Api.as("alice").get("/api/v1/audit?action=webhook.disabled&limit=500");
        assertThat((List<String>) audit.path("items.target")).contains(webhook);
        assertThat((List<String>) audit.path("items.actor")).contains("webhook-dispatcher");

        await("the webhook.disabled event", () -> receivedAt(noticePath).stream()
                .anyMatch(received -> received.body().contains(webhook)));

        // disabled: no more attempts
        Thread.sleep(2500);
        assertEquals(attempts, receivedAt(path).size());

        // enabled again by its admin, it receives new events
        Api.as("alice").body(Map.of("enabled", true)).patch("/api/v1/webhooks/" + webhook).then().statusCode(200)
                .body("enabled", org.hamcrest.Matchers.is(true));
        Api.as("alice").delete("/api/v1/webhooks/" + webhook).then().statusCode(200);
        Api.as("alice").delete("/api/v1/webhooks/" + notices).then().statusCode(200);
    }

    @Test
    void onlyTenantAdminsRegisterHttpsEndpointsForEventTypes() {
        Response plain = Api.as("alice").body(Map.of("name", unique("plain"), "url", "http://localhost/x",
                "events", List.of("*"))).post("/api/v1/webhooks");
        assertEquals(400, plain.statusCode());
        assertEquals("url", plain.path("details.field"));
        Response odd = Api.as("alice").body(Map.of("name", unique("odd"), "url", url("/x"),
                "events", List.of("Instance Created"))).post("/api/v1/webhooks");
        assertEquals(400, odd.statusCode());
        Api.as("bob").body(Map.of("name", unique("member"), "url", url("/x"), "events", List.of("*")))
                .post("/api/v1/webhooks").then().statusCode(403);
        Api.as("vera").get("/api/v1/webhooks").then().statusCode(403);
        List<String> names = Api.as("alice").get("/api/v1/webhooks?limit=500").path("items.name");
        assertThat(names).noneMatch(name -> name.startsWith("plain-") || name.startsWith("odd-")
                || name.startsWith("member-"));

        String id = Api.as("alice").body(Map.of("name", unique("mine"), "url", url("/mine"), "events", List.of("*")))
                .post("/api/v1/webhooks").then().statusCode(201).extract().path("webhook.id");
        Api.as("carol").get("/api/v1/webhooks/" + id).then().statusCode(404);
        Api.as("carol").delete("/api/v1/webhooks/" + id).then().statusCode(404);
        Api.as("carol").get("/api/v1/webhooks/" + id + "/deliveries").then().statusCode(404);
        Api.as("alice").delete("/api/v1/webhooks/" + id).then().statusCode(200);
    }
}

package io.multiplicity.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiplicity.support.RecordingHostProfile;
import io.multiplicity.support.TestKeycloak;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Only image uploads may be large: every other request body is held to 1 MiB, with or without a length. */
@QuarkusTest
@TestProfile(RecordingHostProfile.class)
class BodyLimitTest {

    @TestHTTPResource("/api/v1/instances")
    URL instances;

    private HttpResponse<String> post(HttpRequest.BodyPublisher body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(instances.toString()))
                .header("Authorization", "Bearer " + TestKeycloak.token("bob"))
                .header("Content-Type", "application/json")
                .POST(body).build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static byte[] bigJson() {
        return ("{\"name\":\"big\",\"kind\":\"jail\",\"image\":\"busybox\",\"type\":\"j1.nano\",\"tenant\":\""
                + "x".repeat(2 << 20) + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aLargeBodyWithALengthIsRefusedAtOnce() throws Exception {
        HttpResponse<String> response = post(HttpRequest.BodyPublishers.ofByteArray(bigJson()));
        assertEquals(413, response.statusCode(), response.body());
        assertEquals(true, response.body().contains("\"too_large\""), response.body());
    }

    @Test
    void aLargeChunkedBodyIsCutOffAtTheLimit() throws Exception {
        byte[] body = bigJson();
        HttpResponse<String> response = post(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)));
        assertEquals(413, response.statusCode(), response.body());
        assertEquals(true, response.body().contains("\"too_large\""), response.body());
    }
}

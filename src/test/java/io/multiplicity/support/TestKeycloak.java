package io.multiplicity.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The real Keycloak the tests log in to, with the project's realm. {@code make test} starts one and
 * passes its URL in {@code MULTIPLICITY_TEST_KEYCLOAK_URL}; otherwise it is started here through
 * {@code scripts/keycloak.sh test-start} (and left running for the next test run).
 */
public final class TestKeycloak {

    private static volatile String url;
    private static final Map<String, CachedToken> TOKENS = new ConcurrentHashMap<>();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private record CachedToken(String token, Instant expires) {
    }

    private TestKeycloak() {
    }

    public static synchronized String url() {
        if (url != null) {
            return url;
        }
        String fromEnvironment = System.getenv("MULTIPLICITY_TEST_KEYCLOAK_URL");
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            url = fromEnvironment;
            return url;
        }
        try {
            Process process = new ProcessBuilder("bash", "scripts/keycloak.sh", "test-start")
                    .directory(projectRoot().toFile())
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (process.waitFor() != 0) {
                throw new IllegalStateException("scripts/keycloak.sh test-start failed: " + output);
            }
            String[] lines = output.split("\n");
            url = lines[lines.length - 1].trim();
            return url;
        } catch (IOException e) {
            throw new IllegalStateException("could not start the test Keycloak", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** An access token of a demo user (password = user name), from the password grant of the CLI client. */
    public static String token(String user) {
        CachedToken cached = TOKENS.get(user);
        if (cached != null && cached.expires().isAfter(Instant.now().plusSeconds(60))) {
            return cached.token();
        }
        String form = "grant_type=password&client_id=multiplicity-cli&username=" + encode(user) + "&password="
                + encode(user);
        HttpRequest request = HttpRequest.newBuilder(
                        URI.create(url() + "/realms/multiplicity/protocol/openid-connect/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form))
                .timeout(Duration.ofSeconds(30))
                .build();
        try {
            HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("Keycloak refused a token for " + user + ": " + response.body());
            }
            JsonNode body = new ObjectMapper().readTree(response.body());
            String token = body.get("access_token").asText();
            TOKENS.put(user, new CachedToken(token, Instant.now().plusSeconds(body.get("expires_in").asLong())));
            return token;
        } catch (IOException e) {
            throw new IllegalStateException("could not reach Keycloak at " + url(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    public static Path projectRoot() {
        Path here = Path.of("").toAbsolutePath();
        while (here != null && !here.resolve("pom.xml").toFile().exists()) {
            here = here.getParent();
        }
        if (here == null) {
            throw new IllegalStateException("cannot find the project root from " + Path.of("").toAbsolutePath());
        }
        return here;
    }
}

package io.multiplicity.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The panel's OpenID Connect provider (Keycloak), spoken to as its public client
 * {@code multiplicity-cli}: the device authorization grant (RFC 8628) for people, the password grant
 * for scripts where the realm allows it, refresh, and revocation at logout.
 */
public final class IdentityProvider {

    public static final String CLIENT_ID = "multiplicity-cli";
    private static final String DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

    private final HttpClient http;
    private final ObjectMapper json;
    private final String issuer;
    private final JsonNode discovery;

    private IdentityProvider(HttpClient http, ObjectMapper json, String issuer, JsonNode discovery) {
        this.http = http;
        this.json = json;
        this.issuer = issuer;
        this.discovery = discovery;
    }

    /** Reads the provider's discovery document at {@code issuer/.well-known/openid-configuration}. */
    public static IdentityProvider discover(HttpClient http, ObjectMapper json, String issuer) {
        String base = issuer.replaceAll("/+$", "");
        HttpResponse<String> response = send(http, HttpRequest.newBuilder(
                URI.create(base + "/.well-known/openid-configuration")).timeout(Duration.ofSeconds(15)).GET().build(), base);
        if (response.statusCode() != 200) {
            throw new CliException(ExitCodes.UNREACHABLE, "the identity provider at " + base
                    + " has no OpenID configuration (HTTP " + response.statusCode() + ")");
        }
        try {
            return new IdentityProvider(http, json, base, json.readTree(response.body()));
        } catch (IOException e) {
            throw new CliException(ExitCodes.UNREACHABLE, "unreadable OpenID configuration at " + base, e);
        }
    }

    public String issuer() {
        return issuer;
    }

    /** The tokens an answer of the token endpoint carries, as the configuration keeps them. */
    public record Tokens(String accessToken, Instant accessTokenExpiresAt, String refreshToken,
                         Instant refreshTokenExpiresAt) {
    }

    public Tokens passwordGrant(String username, String password) {
        return tokens(post(endpoint("token_endpoint"), Map.of("grant_type", "password", "client_id", CLIENT_ID,
                "username", username, "password", password, "scope", "openid")), "the password grant");
    }

    public Tokens refresh(String refreshToken) {
        return tokens(post(endpoint("token_endpoint"), Map.of("grant_type", "refresh_token", "client_id", CLIENT_ID,
                "refresh_token", refreshToken)), "refreshing the login");
    }

    /** Revokes a refresh token (and with it its session's tokens); best effort. */
    public void revoke(String refreshToken) {
        JsonNode endpoint = discovery.get("revocation_endpoint");
        if (endpoint != null) {
            post(endpoint.asText(), Map.of("client_id", CLIENT_ID, "token", refreshToken,
                    "token_type_hint", "refresh_token"));
        }
    }

    /**
     * The device authorization grant: asks for a user code, tells the person where to enter it, and
     * polls the token endpoint until they have approved (or denied, or the code expired).
     */
    public Tokens deviceGrant(PrintStream instructions) {
        JsonNode deviceEndpoint = discovery.get("device_authorization_endpoint");
        if (deviceEndpoint == null) {
            throw new CliException(ExitCodes.AUTH, "the identity provider at " + issuer
                    + " offers no device authorization grant; use login --username, or login --token");
        }
        // PKCE (RFC 7636) binds the polling to this process: the realm's public client requires it.
        String verifier = codeVerifier();
        HttpResponse<String> started = post(deviceEndpoint.asText(), Map.of("client_id", CLIENT_ID, "scope", "openid",
                "code_challenge", codeChallenge(verifier), "code_challenge_method", "S256"));
        JsonNode device = body(started);
        if (started.statusCode() != 200) {
            throw new CliException(ExitCodes.AUTH, "the identity provider refused the device login: "
                    + describe(device));
        }
        String complete = device.path("verification_uri_complete").asText("");
        instructions.println("To log in, open " + device.path("verification_uri").asText()
                + " and enter the code " + device.path("user_code").asText());
        if (!complete.isEmpty()) {
            instructions.println("(or open " + complete + ")");
        }
        instructions.println("Waiting for the approval...");
        long interval = Math.max(1, device.path("interval").asLong(5));
        Instant deadline = Instant.now().plusSeconds(device.path("expires_in").asLong(600));
        while (Instant.now().isBefore(deadline)) {
            sleep(Duration.ofSeconds(interval));
            HttpResponse<String> polled = post(endpoint("token_endpoint"), Map.of("grant_type", DEVICE_GRANT,
                    "client_id", CLIENT_ID, "device_code", device.path("device_code").asText(),
                    "code_verifier", verifier));
            JsonNode answer = body(polled);
            if (polled.statusCode() == 200) {
                return tokens(polled, "the device login");
            }
            switch (answer.path("error").asText("")) {
                case "authorization_pending" -> {
                }
                case "slow_down" -> interval += 5;
                case "access_denied" -> throw new CliException(ExitCodes.AUTH, "the login was denied");
                case "expired_token" -> throw new CliException(ExitCodes.AUTH, "the code expired before it was approved");
                default -> throw new CliException(ExitCodes.AUTH, "the device login failed: " + describe(answer));
            }
        }
        throw new CliException(ExitCodes.AUTH, "the code expired before it was approved");
    }

    /** A PKCE code verifier: 32 random bytes, base64url without padding (43 characters). */
    private static String codeVerifier() {
        byte[] random = new byte[32];
        new java.security.SecureRandom().nextBytes(random);
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }

    /** Its S256 challenge: base64url(SHA-256(verifier)) without padding. */
    private static String codeChallenge(String verifier) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(verifier.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this Java", e);
        }
    }

    private String endpoint(String name) {
        JsonNode endpoint = discovery.get(name);
        if (endpoint == null) {
            throw new CliException(ExitCodes.UNREACHABLE, "the identity provider at " + issuer + " names no " + name);
        }
        return endpoint.asText();
    }

    private Tokens tokens(HttpResponse<String> response, String what) {
        JsonNode answer = body(response);
        if (response.statusCode() != 200) {
            throw new CliException(ExitCodes.AUTH, what + " failed: " + describe(answer));
        }
        Instant now = Instant.now();
        long refreshLifetime = answer.path("refresh_expires_in").asLong(0);
        return new Tokens(answer.path("access_token").asText(), now.plusSeconds(answer.path("expires_in").asLong(60)),
                answer.hasNonNull("refresh_token") ? answer.get("refresh_token").asText() : null,
                refreshLifetime > 0 ? now.plusSeconds(refreshLifetime) : null);
    }

    private static String describe(JsonNode answer) {
        String description = answer.path("error_description").asText("");
        return description.isEmpty() ? answer.path("error").asText("no reason given") : description;
    }

    private JsonNode body(HttpResponse<String> response) {
        try {
            return json.readTree(response.body().isEmpty() ? "{}" : response.body());
        } catch (IOException e) {
            return json.createObjectNode().put("error", "HTTP " + response.statusCode());
        }
    }

    private HttpResponse<String> post(String url, Map<String, String> form) {
        String encoded = new LinkedHashMap<>(form).entrySet().stream()
                .map(entry -> encode(entry.getKey()) + "=" + encode(entry.getValue()))
                .collect(Collectors.joining("&"));
        return send(http, HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(encoded)).build(), issuer);
    }

    private static HttpResponse<String> send(HttpClient http, HttpRequest request, String where) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new CliException(ExitCodes.UNREACHABLE, "cannot reach the identity provider at " + where + ": "
                    + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.UNREACHABLE, "interrupted", e);
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.AUTH, "interrupted");
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}

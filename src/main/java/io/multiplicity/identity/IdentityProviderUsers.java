package io.multiplicity.identity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Asks the identity provider (Keycloak's admin API) where a user stands now: whether the account
 * still exists and is enabled, its realm roles and its tenants (groups). Tokens say where a user
 * stood when they signed in; this is how long-lived things that outlive a token, such as open
 * consoles, notice that access was taken away. The panel's own client authenticates with its
 * service account, which holds only {@code realm-management/view-users}.
 */
@ApplicationScoped
public class IdentityProviderUsers {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @ConfigProperty(name = "multiplicity.keycloak.url")
    String url;

    @ConfigProperty(name = "multiplicity.keycloak.realm")
    String realm;

    @ConfigProperty(name = "quarkus.oidc.web.client-id")
    String clientId;

    @ConfigProperty(name = "quarkus.oidc.web.credentials.secret")
    String clientSecret;

    @Inject
    ObjectMapper json;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private volatile ServiceToken token;

    private record ServiceToken(String value, Instant expires) {
    }

    /**
     * Where a user stands.
     *
     * @param exists  the account exists and is enabled
     * @param roles   its realm roles, composites included
     * @param tenants the tenants it belongs to (its groups' names)
     */
    public record Standing(boolean exists, Set<String> roles, Set<String> tenants) {

        static final Standing GONE = new Standing(false, Set.of(), Set.of());
    }

    /** Thrown when the identity provider cannot be asked (down, or the panel's client lacks its service account). */
    public static final class Unreachable extends Exception {
        Unreachable(String message) {
            super(message);
        }
    }

    /** Where the user with this subject (the identity provider's user id) stands now. */
    public Standing standing(String subject) throws Unreachable {
        if (!subject.matches("[0-9A-Za-z-]{1,64}")) {
            return Standing.GONE;
        }
        String base = url + "/admin/realms/" + realm + "/users/" + subject;
        JsonNode user = get(base);
        if (user == null || !user.path("enabled").asBoolean(false)) {
            return Standing.GONE;
        }
        Set<String> roles = new HashSet<>();
        JsonNode roleList = get(base + "/role-mappings/realm/composite");
        if (roleList != null) {
            roleList.forEach(role -> roles.add(role.path("name").asText()));
        }
        Set<String> tenants = new HashSet<>();
        JsonNode groups = get(base + "/groups");
        if (groups != null) {
            groups.forEach(group -> tenants.add(group.path("name").asText()));
        }
        return new Standing(true, Set.copyOf(roles), Set.copyOf(tenants));
    }

    /** The JSON at {@code address}, or null when it is not there (404). */
    private JsonNode get(String address) throws Unreachable {
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(address))
                .header("Authorization", "Bearer " + serviceToken())
                .timeout(TIMEOUT).GET().build());
        if (response.statusCode() == 404) {
            return null;
        }
        if (response.statusCode() == 401) {
            token = null;
        }
        if (response.statusCode() != 200) {
            throw new Unreachable("the identity provider answered HTTP " + response.statusCode() + " for a user query");
        }
        try {
            return json.readTree(response.body());
        } catch (IOException e) {
            throw new Unreachable("the identity provider's answer is not JSON: " + e.getMessage());
        }
    }

    private String serviceToken() throws Unreachable {
        ServiceToken current = token;
        if (current != null && current.expires().isAfter(Instant.now().plusSeconds(10))) {
            return current.value();
        }
        String form = "grant_type=client_credentials&client_id=" + encode(clientId) + "&client_secret="
                + encode(clientSecret);
        HttpResponse<String> response = send(HttpRequest.newBuilder(
                        URI.create(url + "/realms/" + realm + "/protocol/openid-connect/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .timeout(TIMEOUT).POST(HttpRequest.BodyPublishers.ofString(form)).build());
        if (response.statusCode() != 200) {
            throw new Unreachable("the panel's client " + clientId + " got no service-account token (HTTP "
                    + response.statusCode() + "): enable its service account with realm-management/view-users");
        }
        try {
            JsonNode answer = json.readTree(response.body());
            ServiceToken fresh = new ServiceToken(answer.path("access_token").asText(),
                    Instant.now().plusSeconds(answer.path("expires_in").asLong(60)));
            token = fresh;
            return fresh.value();
        } catch (IOException e) {
            throw new Unreachable("the identity provider's token answer is not JSON: " + e.getMessage());
        }
    }

    private HttpResponse<String> send(HttpRequest request) throws Unreachable {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new Unreachable("cannot reach the identity provider: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unreachable("interrupted");
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}

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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Changes users of the test Keycloak's realm as its administrator would (the bootstrap admin whose
 * password {@code scripts/keycloak.sh} keeps in the data directory): tests make users of their
 * own, change them and delete them, never the demo users other tests rely on.
 */
public final class KeycloakAdmin {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private KeycloakAdmin() {
    }

    /** Whether the administrator's password is on this machine (the test Keycloak was started by the project's script). */
    public static boolean available() {
        return Files.isReadable(passwordFile());
    }

    /** A new enabled user, password = user name, in the tenant group {@code tenant} with the realm role {@code role}; its id. */
    public static String createUser(String username, String tenant, String role) {
        send("POST", "/users", Map.of("username", username, "enabled", true, "email", username + "@example.test",
                "emailVerified", true, "firstName", username, "lastName", "Test",
                "credentials", List.of(Map.of("type", "password", "value", username, "temporary", false))));
        String id = send("GET", "/users?exact=true&username=" + encode(username), null).get(0).path("id").asText();
        joinGroup(id, tenant);
        JsonNode roleRepresentation = send("GET", "/roles/" + role, null);
        send("POST", "/users/" + id + "/role-mappings/realm", List.of(JSON.convertValue(roleRepresentation, Map.class)));
        return id;
    }

    public static void setEnabled(String id, boolean enabled) {
        @SuppressWarnings("unchecked")
        Map<String, Object> user = JSON.convertValue(send("GET", "/users/" + id, null), Map.class);
        user.put("enabled", enabled);
        send("PUT", "/users/" + id, user);
    }

    public static void joinGroup(String id, String group) {
        send("PUT", "/users/" + id + "/groups/" + groupId(group), null);
    }

    public static void leaveGroup(String id, String group) {
        send("DELETE", "/users/" + id + "/groups/" + groupId(group), null);
    }

    public static void deleteUser(String id) {
        send("DELETE", "/users/" + id, null);
    }

    private static String groupId(String name) {
        for (JsonNode group : send("GET", "/groups?exact=true&search=" + encode(name), null)) {
            if (name.equals(group.path("name").asText())) {
                return group.path("id").asText();
            }
        }
        throw new IllegalStateException("no group " + name + " in the test realm");
    }

    private static JsonNode send(String method, String path, Object body) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(
                            URI.create(TestKeycloak.url() + "/admin/realms/multiplicity" + path))
                    .header("Authorization", "Bearer " + adminToken())
                    .timeout(Duration.ofSeconds(30));
            if (body == null) {
                request.method(method, HttpRequest.BodyPublishers.noBody());
            } else {
                request.header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
            }
            HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 != 2) {
                throw new IllegalStateException(method + " " + path + " answered " + response.statusCode() + ": "
                        + response.body());
            }
            return response.body().isBlank() ? JSON.nullNode() : JSON.readTree(response.body());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String adminToken() throws IOException, InterruptedException {
        String form = "grant_type=password&client_id=admin-cli&username=kcadmin&password="
                + encode(Files.readString(passwordFile()).strip());
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                        URI.create(TestKeycloak.url() + "/realms/master/protocol/openid-connect/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("the test Keycloak's administrator cannot sign in: " + response.body());
        }
        return JSON.readTree(response.body()).path("access_token").asText();
    }

    private static Path passwordFile() {
        return TestKeycloak.projectRoot().resolve("data").resolve("keycloak-admin-password");
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}

package io.multiplicity.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

/**
 * The panel's REST API ({@code /api/v1}) over java.net.http: JSON in and out through Jackson, the
 * bearer credential of the session, and every refusal turned into an {@link ApiError} carrying the
 * panel's own error code and message.
 */
public final class PanelClient {

    public static final String API = "/api/v1";
    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";

    private final HttpClient http;
    private final ObjectMapper json;
    private final String baseUrl;
    private final Supplier<String> bearer;
    private final String tenant;

    public PanelClient(HttpClient http, ObjectMapper json, String baseUrl, Supplier<String> bearer, String tenant) {
        this.http = http;
        this.json = json;
        this.baseUrl = baseUrl.replaceAll("/+$", "");
        this.bearer = bearer;
        this.tenant = tenant;
    }

    public String baseUrl() {
        return baseUrl;
    }

    public ObjectMapper json() {
        return json;
    }

    /** An answer of the panel: status, headers and the body as text. */
    public record Answer(int status, java.net.http.HttpHeaders headers, String body) {
    }

    public JsonNode get(String path) {
        return parse(send(builder(path).GET()));
    }

    public Answer getText(String path) {
        return send(builder(path).GET());
    }

    public JsonNode post(String path, Object body) {
        return parse(send(withJson(builder(path), "POST", body)));
    }

    public JsonNode post(String path, Object body, Map<String, String> headers) {
        HttpRequest.Builder request = withJson(builder(path), "POST", body);
        headers.forEach(request::header);
        return parse(send(request));
    }

    public JsonNode put(String path, Object body) {
        return parse(send(withJson(builder(path), "PUT", body)));
    }

    public JsonNode patch(String path, Object body, Map<String, String> headers) {
        HttpRequest.Builder request = withJson(builder(path), "PATCH", body);
        headers.forEach(request::header);
        return parse(send(request));
    }

    public JsonNode delete(String path) {
        return parse(send(builder(path).DELETE()));
    }

    /** Every item of a paged list, following {@code next} cursors. */
    public ArrayNode list(String path) {
        ArrayNode all = json.createArrayNode();
        String cursor = null;
        do {
            String separator = path.contains("?") ? "&" : "?";
            JsonNode page = get(path + separator + "limit=500" + (cursor == null ? "" : "&cursor=" + encode(cursor)));
            JsonNode items = page.isArray() ? page : page.path("items");
            items.forEach(all::add);
            cursor = page.hasNonNull("next") ? page.get("next").asText() : null;
        } while (cursor != null);
        return all;
    }

    /**
     * Streams a file as the body of a POST ({@code application/octet-stream}), telling
     * {@code progress} how many bytes have been sent.
     */
    public JsonNode upload(String path, Path file, LongConsumer progress) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new CliException(ExitCodes.USAGE, "cannot read " + file + ": " + e.getMessage(), e);
        }
        HttpRequest.BodyPublisher counted = HttpRequest.BodyPublishers.fromPublisher(
                HttpRequest.BodyPublishers.ofInputStream(() -> counting(file, progress)), size);
        return parse(send(builder(path).header("Content-Type", "application/octet-stream")
                .timeout(Duration.ofHours(2)).POST(counted)));
    }

    private static InputStream counting(Path file, LongConsumer progress) {
        try {
            return new FilterInputStream(Files.newInputStream(file)) {
                private long sent;

                @Override
                public int read(byte[] buffer, int offset, int length) throws IOException {
                    int read = super.read(buffer, offset, length);
                    if (read > 0) {
                        sent += read;
                        progress.accept(sent);
                    }
                    return read;
                }
            };
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    public static String path(String first, Object... segments) {
        StringBuilder path = new StringBuilder(API).append(first);
        for (Object segment : segments) {
            path.append('/').append(encode(String.valueOf(segment)).replace("+", "%20"));
        }
        return path.toString();
    }

    private HttpRequest.Builder builder(String path) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(Duration.ofMinutes(2))
                .header("Accept", "application/json, text/csv;q=0.9");
        String credential = bearer.get();
        if (credential != null) {
            request.header("Authorization", "Bearer " + credential);
        }
        if (tenant != null) {
            request.header("X-Tenant", tenant);
        }
        return request;
    }

    private HttpRequest.Builder withJson(HttpRequest.Builder request, String method, Object body) {
        try {
            String text = body == null ? "{}" : json.writeValueAsString(body);
            return request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(text));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private Answer send(HttpRequest.Builder request) {
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new CliException(ExitCodes.UNREACHABLE, "cannot reach the panel at " + baseUrl + ": "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.UNREACHABLE, "interrupted", e);
        }
        Answer answer = new Answer(response.statusCode(), response.headers(), response.body());
        if (answer.status() >= 400) {
            throw error(answer);
        }
        return answer;
    }

    private ApiError error(Answer answer) {
        JsonNode body = null;
        try {
            body = answer.body().isBlank() ? null : json.readTree(answer.body());
        } catch (IOException e) {
            // not the panel's error body (a proxy's page): told by its status below
        }
        if (body != null && body.hasNonNull("error")) {
            String message = body.path("message").asText(body.get("error").asText());
            return new ApiError(answer.status(), body.get("error").asText(), message, body.get("details"));
        }
        String message = switch (answer.status()) {
            case 401 -> "not logged in, or the login expired or was revoked: run multiplicity login";
            case 403 -> "your role does not allow this";
            case 404 -> "not found";
            default -> "the panel answered HTTP " + answer.status();
        };
        return new ApiError(answer.status(), "http_" + answer.status(), message, null);
    }

    public JsonNode parse(Answer answer) {
        if (answer.body() == null || answer.body().isBlank()) {
            return json.createObjectNode();
        }
        try {
            return json.readTree(answer.body());
        } catch (IOException e) {
            throw new CliException(ExitCodes.API_ERROR, "the panel's answer is not JSON: " + e.getMessage(), e);
        }
    }
}

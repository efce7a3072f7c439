package io.multiplicity.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The API's OpenAPI document as a checker of real answers: which operation a request reached, whether
 * the document declares the status it answered, the headers it requires and the media type, and
 * whether the body matches the declared JSON Schema.
 */
public final class OpenApiDocument {

    /** The committed document, generated when the application is built (see docs/api.md). */
    public static final Path COMMITTED = Path.of("docs/openapi.json");
    public static final String API_PREFIX = "/api/v1";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options");
    private static volatile OpenApiDocument committed;

    private final JsonNode document;
    private final List<Route> routes = new ArrayList<>();
    private final JsonSchemaFactory schemas = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
    private final Map<String, JsonSchema> compiled = new ConcurrentHashMap<>();

    private record Route(String template, Pattern pattern, int variables, JsonNode item) {
    }

    public OpenApiDocument(JsonNode document) {
        this.document = document;
        document.path("paths").fields().forEachRemaining(entry -> {
            String template = entry.getKey();
            String regex = "\\Q" + template.replaceAll("\\{[^}/]+}", "\\\\E[^/]+\\\\Q") + "\\E";
            routes.add(new Route(template, Pattern.compile(regex), template.split("\\{", -1).length - 1,
                    entry.getValue()));
        });
        // a literal segment wins over a variable one: /images/offers before /images/{id}
        routes.sort(Comparator.comparingInt(Route::variables));
    }

    /** The committed docs/openapi.json, read once. */
    public static OpenApiDocument committed() {
        if (committed == null) {
            committed = new OpenApiDocument(read(COMMITTED));
        }
        return committed;
    }

    public static JsonNode read(Path file) {
        try {
            return JSON.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    public JsonNode tree() {
        return document;
    }

    /**
     * What is wrong with an answer, by the document; empty when it matches. Paths outside the API
     * (the portal, /q/…, the metadata service) are not part of the contract.
     *
     * @param header a header of the answer by name, null when absent
     */
    public List<String> check(String method, String path, int status, String contentType, String body,
                              Function<String, String> header) {
        List<String> problems = new ArrayList<>();
        if (!path.startsWith(API_PREFIX)) {
            return problems;
        }
        String verb = method.toLowerCase(Locale.ROOT);
        String where = method + " " + path + " → " + status;
        JsonNode operation = operation(verb, path);
        if (operation == null) {
            if (status == 404 || status == 405) {
                // no such resource or method: still the one error shape
                checkBody(where, "#/components/schemas/ApiError", contentType, body, problems);
                return problems;
            }
            problems.add(where + ": the document has no operation " + method + " for this path");
            return problems;
        }
        JsonNode responses = operation.path("responses");
        JsonNode response = responses.get(Integer.toString(status));
        if (response == null && status >= 400) {
            response = responses.get("default");
        }
        String id = operation.path("operationId").asText("?");
        if (response == null) {
            List<String> declared = new ArrayList<>();
            responses.fieldNames().forEachRemaining(declared::add);
            problems.add(where + ": " + id + " does not declare status " + status + " (it declares " + declared + ")");
            return problems;
        }
        response = resolve(response);
        response.path("headers").fields().forEachRemaining(declared -> {
            if (declared.getValue().path("required").asBoolean(false) && header.apply(declared.getKey()) == null) {
                problems.add(where + ": " + id + " requires the header " + declared.getKey() + ", the answer has none");
            }
        });
        JsonNode content = response.path("content");
        boolean empty = body == null || body.isEmpty();
        if (content.isMissingNode() || content.isEmpty()) {
            if (!empty) {
                problems.add(where + ": " + id + " declares no body for " + status + ", the answer has one");
            }
            return problems;
        }
        if (empty) {
            problems.add(where + ": " + id + " declares a body for " + status + ", the answer has none");
            return problems;
        }
        String mediaType = contentType == null ? "" : contentType.split(";")[0].strip().toLowerCase(Locale.ROOT);
        JsonNode declared = content.get(mediaType);
        if (declared == null) {
            List<String> types = new ArrayList<>();
            content.fieldNames().forEachRemaining(types::add);
            problems.add(where + ": " + id + " answered " + mediaType + ", the document declares " + types);
            return problems;
        }
        if (mediaType.equals("application/json")) {
            String pointer = "#/paths/" + escape(route(path).template()) + "/" + verb + "/responses/" + status;
            checkBody(where + " (" + id + ")", pointer, declared.path("schema"), body, problems);
        }
        return problems;
    }

    private void checkBody(String where, String errorSchemaRef, String contentType, String body, List<String> problems) {
        if (body == null || body.isEmpty()) {
            return;
        }
        String mediaType = contentType == null ? "" : contentType.split(";")[0].strip();
        if (!mediaType.equals("application/json")) {
            problems.add(where + ": an error answer must be application/json, it was " + mediaType);
            return;
        }
        checkBody(where, errorSchemaRef, JSON.createObjectNode().put("$ref", errorSchemaRef), body, problems);
    }

    private void checkBody(String where, String key, JsonNode schema, String body, List<String> problems) {
        JsonNode value;
        try {
            value = JSON.readTree(body);
        } catch (IOException e) {
            problems.add(where + ": the body is not JSON: " + e.getMessage());
            return;
        }
        JsonSchema validator = compiled.computeIfAbsent(key + "|" + schema, ignored -> compile(schema));
        for (ValidationMessage message : validator.validate(value)) {
            problems.add(where + ": " + message.getMessage() + " (schema " + schemaName(schema) + ")");
        }
    }

    private JsonSchema compile(JsonNode schema) {
        // the response's schema, with the document's components beside it so its $refs resolve
        ObjectNode root = JSON.createObjectNode();
        root.put("$schema", "https://json-schema.org/draft/2020-12/schema");
        root.set("components", document.path("components"));
        schema.fields().forEachRemaining(field -> root.set(field.getKey(), field.getValue()));
        return schemas.getSchema(root);
    }

    private JsonNode resolve(JsonNode node) {
        JsonNode current = node;
        while (current.has("$ref")) {
            String ref = current.get("$ref").asText();
            current = document.at(ref.substring(1));
        }
        return current;
    }

    private JsonNode operation(String verb, String path) {
        for (Route route : routes) {
            if (route.pattern().matcher(path).matches() && route.item().has(verb)) {
                return route.item().get(verb);
            }
        }
        return null;
    }

    private Route route(String path) {
        return routes.stream().filter(route -> route.pattern().matcher(path).matches()).findFirst().orElseThrow();
    }

    /** Every operation of the API, as "METHOD path" with its node. */
    public Map<String, JsonNode> operations() {
        Map<String, JsonNode> operations = new java.util.TreeMap<>();
        document.path("paths").fields().forEachRemaining(path -> {
            Iterator<Map.Entry<String, JsonNode>> fields = path.getValue().fields();
            fields.forEachRemaining(field -> {
                if (METHODS.contains(field.getKey())) {
                    operations.put(field.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey(), field.getValue());
                }
            });
        });
        return operations;
    }

    /** A response, with a reference to components/responses followed. */
    public JsonNode resolved(JsonNode response) {
        return resolve(response);
    }

    private static String schemaName(JsonNode schema) {
        JsonNode ref = schema.get("$ref");
        return ref != null ? ref.asText().replace("#/components/schemas/", "") : schema.toString();
    }

    private static String escape(String template) {
        return template.replace("~", "~0").replace("/", "~1");
    }
}

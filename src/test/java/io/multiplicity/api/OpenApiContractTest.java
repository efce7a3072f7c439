package io.multiplicity.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.multiplicity.support.Api;
import io.multiplicity.support.OpenApiDocument;
import io.multiplicity.support.RecordingHostProfile;
import io.multiplicity.support.TestKeycloak;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI contract: the committed document is the one the application generates, it is complete
 * (an operationId, a success answer with its schema and the one error schema on every operation),
 * and answers that deviate from it are caught.
 */
@QuarkusTest
@TestProfile(RecordingHostProfile.class)
class OpenApiContractTest {

    private static final String REFRESH = "the committed OpenAPI document is not the one the application generates:"
            + " run `make openapi` (it rebuilds, copies target/openapi/openapi.{json,yaml} to docs/ and regenerates"
            + " the portal's API types) and commit the result";
    private static final Pattern CAMEL_CASE = Pattern.compile("[a-z][a-zA-Z0-9]*");
    private static final String ERROR_REF = "#/components/schemas/ApiError";

    private final ObjectMapper json = new ObjectMapper();

    @Test
    void theCommittedDocumentIsTheGeneratedOne() throws Exception {
        JsonNode served = json.readTree(given().get("/q/openapi?format=json").asString());
        JsonNode committed = OpenApiDocument.read(OpenApiDocument.COMMITTED);
        assertThat(committed).as(REFRESH + "; served at /q/openapi differs from docs/openapi.json").isEqualTo(served);
        JsonNode committedYaml = new YAMLMapper().readTree(Files.readString(Path.of("docs/openapi.yaml")));
        assertThat(json.readTree(json.writeValueAsString(committedYaml)))
                .as(REFRESH + "; docs/openapi.yaml differs from docs/openapi.json").isEqualTo(committed);
    }

    @Test
    void everyOperationHasAnIdASuccessSchemaAndTheErrorSchema() {
        assertThat(incompleteOperations(OpenApiDocument.committed())).isEmpty();
    }

    @Test
    void anOperationWithoutIdSuccessSchemaOrErrorSchemaIsFound() {
        ObjectNode broken = OpenApiDocument.committed().tree().deepCopy();
        ObjectNode getMe = (ObjectNode) broken.at("/paths/~1api~1v1~1me/get");
        getMe.remove("operationId");
        ((ObjectNode) getMe.at("/responses/200")).remove("content");
        ((ObjectNode) getMe.at("/responses/401")).remove("content");
        assertThat(incompleteOperations(new OpenApiDocument(broken))).containsExactlyInAnyOrder(
                "GET /api/v1/me: no operationId",
                "GET /api/v1/me: 200 has no schema",
                "GET /api/v1/me: 401 does not answer the error schema");
    }

    @Test
    void aRealAnswerThatDeviatesFromTheDocumentIsCaught() {
        Response me = given().auth().oauth2(TestKeycloak.token("bob")).get("/api/v1/me");
        assertThat(me.statusCode()).isEqualTo(200);
        OpenApiDocument document = OpenApiDocument.committed();
        assertThat(check(document, "/api/v1/me", me)).as("the real answer matches the committed document").isEmpty();

        ObjectNode wrongType = document.tree().deepCopy();
        ((ObjectNode) wrongType.at("/components/schemas/Me/properties/username")).put("type", "integer");
        assertThat(check(new OpenApiDocument(wrongType), "/api/v1/me", me))
                .anySatisfy(problem -> assertThat(problem).contains("GET /api/v1/me → 200").contains("username")
                        .contains("integer"));

        ObjectNode otherStatus = document.tree().deepCopy();
        ObjectNode responses = (ObjectNode) otherStatus.at("/paths/~1api~1v1~1me/get/responses");
        responses.set("201", responses.remove("200"));
        assertThat(check(new OpenApiDocument(otherStatus), "/api/v1/me", me))
                .singleElement().asString().startsWith("GET /api/v1/me → 200: getMe does not declare status 200");
    }

    @Test
    void anErrorAnswerIsCheckedAgainstTheErrorSchema() {
        String path = "/api/v1/instances/00000000-0000-0000-0000-000000000000";
        Response missing = Api.as("bob").get(path);
        assertThat(missing.statusCode()).isEqualTo(404);
        ObjectNode noMessage = OpenApiDocument.committed().tree().deepCopy();
        ((ObjectNode) noMessage.at("/components/schemas/ApiError")).putArray("required").add("error").add("reason");
        assertThat(check(new OpenApiDocument(noMessage), path, missing))
                .anySatisfy(problem -> assertThat(problem).contains("reason"));
    }

    private static List<String> check(OpenApiDocument document, String path, Response response) {
        return document.check("GET", path, response.statusCode(), response.contentType(), response.asString(),
                response::header);
    }

    /** What each operation lacks: an operationId (unique, camelCase), a success answer with a schema, the error schema. */
    static List<String> incompleteOperations(OpenApiDocument document) {
        List<String> problems = new ArrayList<>();
        Map<String, String> ids = new HashMap<>();
        document.operations().forEach((name, operation) -> {
            if (!name.split(" ")[1].startsWith(OpenApiDocument.API_PREFIX)) {
                return;
            }
            String id = operation.path("operationId").asText("");
            if (id.isEmpty()) {
                problems.add(name + ": no operationId");
            } else if (!CAMEL_CASE.matcher(id).matches()) {
                problems.add(name + ": operationId " + id + " is not camelCase");
            } else if (ids.putIfAbsent(id, name) != null) {
                problems.add(name + ": operationId " + id + " is also " + ids.get(id));
            }
            boolean success = false;
            var responses = operation.path("responses").fields();
            while (responses.hasNext()) {
                var entry = responses.next();
                String code = entry.getKey();
                JsonNode response = document.resolved(entry.getValue());
                if (code.startsWith("2") || code.startsWith("3")) {
                    success = true;
                    boolean bodyless = code.equals("204") || code.startsWith("3");
                    if (!bodyless && !hasSchemas(response)) {
                        problems.add(name + ": " + code + " has no schema");
                    }
                } else if (!isErrorSchema(response)) {
                    problems.add(name + ": " + code + " does not answer the error schema");
                }
            }
            if (!success) {
                problems.add(name + ": no success answer");
            }
            if (!operation.path("responses").has("default")) {
                problems.add(name + ": no default error answer");
            }
        });
        return problems;
    }

    private static boolean hasSchemas(JsonNode response) {
        JsonNode content = response.path("content");
        if (content.isEmpty()) {
            return false;
        }
        for (JsonNode mediaType : content) {
            JsonNode schema = mediaType.path("schema");
            if (schema.isMissingNode() || schema.isEmpty()) {
                return false;
            }
        }
        return true;
    }

    private static boolean isErrorSchema(JsonNode response) {
        JsonNode content = response.path("content");
        return content.size() == 1 && ERROR_REF.equals(content.path("application/json").path("schema").path("$ref").asText());
    }
}

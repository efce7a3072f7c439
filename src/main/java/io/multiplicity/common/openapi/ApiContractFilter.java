package io.multiplicity.common.openapi;

import io.quarkus.smallrye.openapi.OpenApiFilter;
import java.util.Map;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.Components;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.PathItem;
import org.eclipse.microprofile.openapi.models.media.Content;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.parameters.Parameter;
import org.eclipse.microprofile.openapi.models.responses.APIResponse;
import org.eclipse.microprofile.openapi.models.responses.APIResponses;

/**
 * Completes the API's OpenAPI document with what every operation shares, so that the resources
 * declare only what is their own (operationId, success answer, errors of their own):
 * <ul>
 *   <li>the reusable 202 answer, {@value ApiContract#ACCEPTED}: the operation and its Location;</li>
 *   <li>the errors every operation can answer — 400 for a bad parameter or body, 401, 403 where a
 *       role is required, 404 where the path names a resource, 409 for a mutation that conflicts,
 *       413 and 415 for a bad body, 500 and 503 — and {@code default} for any other;</li>
 *   <li>one body for all of them, {@value ApiContract#ERROR_SCHEMA}, replacing whatever a
 *       response said before;</li>
 *   <li>the bounds of the paging parameters.</li>
 * </ul>
 * It runs when the application is built, so the document written to the build's output, the one
 * served at {@code /q/openapi} and the committed {@code docs/openapi.*} are the same.
 */
@OpenApiFilter(stages = OpenApiFilter.RunStage.BUILD)
public class ApiContractFilter implements OASFilter {

    static final int MAX_PAGE_SIZE = 500;
    /** What the framework writes on the responses it adds by itself; ours say more. */
    private static final java.util.Set<String> FRAMEWORK_DESCRIPTIONS = java.util.Set.of("", "Bad Request",
            "Not Authorized", "Not Allowed");
    /** What Bean Validation's {@code @NotBlank} becomes: a non-space somewhere, rightly unanchored. */
    private static final String NOT_BLANK = "\\S";
    /** A pattern that is only a list of words, like {@code never|on-failure|always}. */
    private static final java.util.regex.Pattern WORD_LIST = java.util.regex.Pattern.compile("[a-z0-9-]+(\\|[a-z0-9-]+)+");

    private static final Map<String, String> SHARED_ERRORS = Map.of(
            "400", "The request is malformed or a parameter or field is invalid; nothing changed",
            "401", "No valid bearer token (a missing, expired or revoked one)",
            "403", "Your role does not allow this",
            "404", "No such resource in your tenant (another tenant's resources answer the same)",
            "409", "The change conflicts with the resource's state (a name taken, an operation in progress, a quota or"
                    + " capacity that ran out)",
            "413", "The request body is larger than the API accepts",
            "415", "The request body is not of a media type this operation reads",
            "500", "An internal error; it has been logged under the request id",
            "503", "The identity provider or the database did not answer in time; retry after Retry-After seconds",
            "default", "Any other error, in the same shape");

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        Components components = openAPI.getComponents();
        components.addResponse(ApiContract.ACCEPTED, accepted());
        if (components.getSchemas() != null) {
            components.getSchemas().values().forEach(ApiContractFilter::anchorPatterns);
        }
        if (openAPI.getPaths() == null) {
            return;
        }
        openAPI.getPaths().getPathItems().forEach((path, item) -> {
            if (!path.startsWith(ApiContract.API_PREFIX)) {
                return;
            }
            item.getOperations().forEach((method, operation) -> complete(path, method, operation));
        });
    }

    private void complete(String path, PathItem.HttpMethod method, Operation operation) {
        APIResponses responses = operation.getResponses();
        boolean hasBody = operation.getRequestBody() != null;
        boolean hasParameters = (operation.getParameters() != null && !operation.getParameters().isEmpty()) || hasBody;
        boolean secured = operation.getSecurity() != null && !operation.getSecurity().isEmpty();
        boolean mutation = method != PathItem.HttpMethod.GET;
        addError(responses, "401");
        addError(responses, "500");
        addError(responses, "503");
        addError(responses, "default");
        if (secured) {
            addError(responses, "403");
        }
        if (hasParameters) {
            addError(responses, "400");
        }
        if (path.contains("{")) {
            addError(responses, "404");
        }
        if (mutation) {
            addError(responses, "409");
        }
        if (hasBody) {
            addError(responses, "413");
            addError(responses, "415");
        }
        responses.getAPIResponses().forEach((code, response) -> {
            if (isError(code) && response.getRef() == null) {
                if (response.getDescription() == null || FRAMEWORK_DESCRIPTIONS.contains(response.getDescription())) {
                    response.setDescription(SHARED_ERRORS.getOrDefault(code, "An error"));
                }
                response.setContent(errorContent());
            }
        });
        if (operation.getParameters() != null) {
            operation.getParameters().forEach(ApiContractFilter::boundPaging);
        }
    }

    private static void boundPaging(Parameter parameter) {
        if (parameter.getIn() != Parameter.In.QUERY) {
            return;
        }
        if ("limit".equals(parameter.getName())) {
            parameter.setDescription("Items per page, 1–" + MAX_PAGE_SIZE + " (default 50)");
            parameter.setSchema(OASFactory.createSchema().addType(Schema.SchemaType.INTEGER).format("int32")
                    .minimum(java.math.BigDecimal.ONE).maximum(java.math.BigDecimal.valueOf(MAX_PAGE_SIZE)));
        } else if ("cursor".equals(parameter.getName())) {
            parameter.setDescription("The next page's cursor, from the previous page's next");
        }
    }

    /**
     * Bean Validation's {@code @Pattern} must match the whole value, a JSON Schema pattern only a
     * part of it: anchored, the document says what the API checks. A pattern that only lists words
     * ({@code jail|vm}) becomes an enum as well, so generated clients get a union type.
     */
    private static void anchorPatterns(Schema schema) {
        if (schema == null) {
            return;
        }
        String pattern = schema.getPattern();
        if (pattern != null && !NOT_BLANK.equals(pattern) && !pattern.startsWith("^")) {
            schema.setPattern("^(?:" + pattern + ")$");
            if (WORD_LIST.matcher(pattern).matches() && schema.getEnumeration() == null) {
                schema.setEnumeration(java.util.List.<Object>of((Object[]) pattern.split("\\|")));
            }
        }
        if (schema.getProperties() != null) {
            schema.getProperties().values().forEach(ApiContractFilter::anchorPatterns);
        }
        anchorPatterns(schema.getItems());
    }

    static boolean isError(String code) {
        return "default".equals(code) || code.startsWith("4") || code.startsWith("5");
    }

    private static void addError(APIResponses responses, String code) {
        if (!responses.hasAPIResponse(code)) {
            responses.addAPIResponse(code, OASFactory.createAPIResponse().description(SHARED_ERRORS.get(code)));
        }
    }

    private static Content errorContent() {
        return OASFactory.createContent().addMediaType(jakarta.ws.rs.core.MediaType.APPLICATION_JSON,
                OASFactory.createMediaType().schema(OASFactory.createSchema()
                        .ref(ApiContract.ERROR_SCHEMA)));
    }

    private static APIResponse accepted() {
        return OASFactory.createAPIResponse()
                .description("Accepted: the operation that carries out the change; follow it at Location"
                        + " or on the event stream")
                .content(OASFactory.createContent().addMediaType(jakarta.ws.rs.core.MediaType.APPLICATION_JSON,
                        OASFactory.createMediaType().schema(OASFactory.createSchema()
                                .ref(ApiContract.OPERATION_SCHEMA))))
                .addHeader(ApiContract.LOCATION, OASFactory.createHeader()
                        .description("The operation's URL, /api/v1/operations/{id}")
                        .required(true)
                        .schema(OASFactory.createSchema().addType(Schema.SchemaType.STRING).format("uri-reference")));
    }
}

package io.multiplicity.common;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.oidc.OIDCException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.quarkus.vertx.http.runtime.security.HttpAuthenticator;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import jakarta.inject.Inject;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Maps every failure to the one error shape, {@link ApiError}, and counts the refusals of
 * admission ({@value #ADMISSION_REFUSALS}, by reason and resource).
 */
public class ErrorMappers {

    private static final Logger LOG = Logger.getLogger(ErrorMappers.class);

    /** Requests refused by quota or capacity admission, by error code and the resource that ran out. */
    public static final String ADMISSION_REFUSALS = "multiplicity.admission.refusals";
    /** The error codes of admission: a tenant's quota, a host's capacity, no host for the kind. */
    static final Set<String> ADMISSION_CODES = Set.of("quota_exceeded", "insufficient_capacity", "no_host_for_kind");
    /** Seconds a client is told to wait when the identity provider does not answer. */
    static final int IDENTITY_RETRY_SECONDS = 5;

    @Inject
    MeterRegistry meters;

    public static Response error(int status, String code, String message, Object details) {
        return Response.status(status)
                .type(MediaType.APPLICATION_JSON)
                .entity(new ApiError(code, message, details))
                .build();
    }

    @ServerExceptionMapper
    public Response api(ApiException e) {
        if (ADMISSION_CODES.contains(e.code())) {
            meters.counter(ADMISSION_REFUSALS, "reason", e.code(), "resource", refusedResource(e.details())).increment();
        }
        Response response = error(e.status(), e.code(), e.getMessage(), e.details());
        if (e.retryAfterSeconds() > 0) {
            return Response.fromResponse(response).header("Retry-After", Integer.toString(e.retryAfterSeconds())).build();
        }
        return response;
    }

    @ServerExceptionMapper
    public Response unrecognizedField(UnrecognizedPropertyException e) {
        return error(400, "unknown_field", "unknown field '" + e.getPropertyName() + "'",
                Map.of("field", e.getPropertyName(), "known", e.getKnownPropertyIds()));
    }

    @ServerExceptionMapper
    public Response invalidFormat(InvalidFormatException e) {
        return error(400, "invalid_value", "field '" + path(e) + "' has an invalid value: " + e.getValue(),
                Map.of("field", path(e)));
    }

    @ServerExceptionMapper
    public Response mismatchedInput(MismatchedInputException e) {
        String field = path(e);
        String message = field.isEmpty()
                ? "the request body does not have the expected shape"
                : "field '" + field + "' has the wrong type";
        return error(400, "invalid_body", message, field.isEmpty() ? null : Map.of("field", field));
    }

    @ServerExceptionMapper
    public Response malformed(JsonParseException e) {
        return error(400, "malformed_json", "the request body is not valid JSON: " + e.getOriginalMessage(), null);
    }

    @ServerExceptionMapper
    public Response json(JsonProcessingException e) {
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof ApiException refused) {
                // A refusal raised while the body was read (the body limit) keeps its own status.
                return api(refused);
            }
        }
        return error(400, "invalid_body", "the request body could not be read: " + e.getOriginalMessage(), null);
    }

    @ServerExceptionMapper
    public Response validation(ConstraintViolationException e) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (ConstraintViolation<?> violation : e.getConstraintViolations()) {
            fields.put(leaf(violation.getPropertyPath().toString()), violation.getMessage());
        }
        String summary = fields.entrySet().stream()
                .map(entry -> entry.getKey() + " " + entry.getValue())
                .collect(Collectors.joining("; "));
        return error(400, "validation_failed", summary, Map.of("fields", fields));
    }

    /**
     * Answers with the challenge of the request's authentication mechanism: 401 with a
     * {@code WWW-Authenticate: Bearer} header for the API, a redirect to the identity provider for
     * the portal's sign-in.
     */
    @ServerExceptionMapper
    public Uni<Response> unauthorized(UnauthorizedException e, RoutingContext context) {
        ApiError body = new ApiError("unauthorized", "authentication is required: send a bearer token", null);
        HttpAuthenticator authenticator = context == null ? null : context.get(HttpAuthenticator.class.getName());
        if (authenticator == null) {
            return Uni.createFrom().item(error(401, body.error(), body.message(), null));
        }
        return authenticator.getChallenge(context).map(challenge -> {
            if (challenge == null) {
                return error(401, body.error(), body.message(), null);
            }
            Response.ResponseBuilder builder = Response.status(challenge.status);
            if (challenge.getHeaders() != null) {
                challenge.getHeaders().forEach((name, value) -> builder.header(name.toString(), value));
            }
            if (challenge.status == 401) {
                builder.type(MediaType.APPLICATION_JSON).entity(body);
            }
            return builder.build();
        }).onFailure().recoverWithItem(failure -> {
            // the challenge needs the identity provider's metadata: without it, the panel's trouble
            OIDCException unavailable = unreachable(failure);
            if (unavailable != null) {
                return identityProviderUnavailable(unavailable);
            }
            LOG.warnf("no authentication challenge could be made: %s", failure.getMessage());
            return error(401, body.error(), body.message(), null);
        });
    }

    /**
     * The identity provider did not answer (its discovery document or keys could not be fetched):
     * no token can be checked, which is the panel's trouble, not the caller's.
     */
    @ServerExceptionMapper
    public Response identityProviderUnavailable(OIDCException e) {
        if (unreachable(e) == null) {
            return error(401, "unauthorized", "the bearer token is missing, invalid or expired", null);
        }
        LOG.warnf("the identity provider is unavailable: %s", e.getMessage());
        return Response.fromResponse(error(503, "identity_provider_unavailable", "the identity provider does not"
                + " answer, so no sign-in or token can be checked; try again in a moment", null))
                .header("Retry-After", Integer.toString(IDENTITY_RETRY_SECONDS)).build();
    }

    @ServerExceptionMapper
    public Response authenticationFailed(AuthenticationFailedException e) {
        OIDCException unavailable = unreachable(e);
        if (unavailable != null) {
            return identityProviderUnavailable(unavailable);
        }
        return error(401, "unauthorized", "the bearer token is missing, invalid or expired", null);
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e) {
        return error(403, "forbidden", "your role does not allow this", null);
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof UnrecognizedPropertyException unrecognized) {
                return unrecognizedField(unrecognized);
            }
            if (cause instanceof InvalidFormatException invalid) {
                return invalidFormat(invalid);
            }
            if (cause instanceof MismatchedInputException mismatched) {
                return mismatchedInput(mismatched);
            }
            if (cause instanceof JsonParseException parse) {
                return malformed(parse);
            }
            if (cause instanceof JsonProcessingException processing) {
                return json(processing);
            }
        }
        int status = e.getResponse().getStatus();
        if (status >= 500) {
            LOG.error("request failed", e);
        }
        String code = switch (status) {
            case 400 -> "bad_request";
            case 401 -> "unauthorized";
            case 403 -> "forbidden";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 406 -> "not_acceptable";
            case 415 -> "unsupported_media_type";
            default -> status >= 500 ? "internal_error" : "client_error";
        };
        String message = e.getMessage() == null || e.getMessage().isBlank()
                ? e.getResponse().getStatusInfo().getReasonPhrase()
                : e.getMessage();
        return error(status, code, message, null);
    }

    @ServerExceptionMapper
    public Response unexpected(Exception e) {
        OIDCException unavailable = cause(e, OIDCException.class);
        if (unavailable != null) {
            return identityProviderUnavailable(unavailable);
        }
        if (busy(e)) {
            // every database connection was taken for longer than the acquisition timeout: a burst
            LOG.warnf("a request waited too long for a database connection: %s", e.getMessage());
            return Response.fromResponse(error(503, "busy", "the panel is busy; try again in a moment", null))
                    .header("Retry-After", "2").build();
        }
        LOG.error("unexpected failure", e);
        return error(500, "internal_error", "an internal error occurred; it has been logged", null);
    }

    /**
     * The identity-provider failure behind {@code failure} when the provider could not be asked (no
     * connection, no discovery document, no keys), or null. A provider that answered with an OAuth
     * error (an opaque token it refused to introspect, say) is up: that is the caller's 401.
     */
    private static OIDCException unreachable(Throwable failure) {
        OIDCException oidc = cause(failure, OIDCException.class);
        if (oidc == null) {
            return null;
        }
        String message = oidc.getMessage();
        return message != null && message.contains("\"error\"") ? null : oidc;
    }

    private static <T extends Throwable> T cause(Throwable failure, Class<T> type) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (type.isInstance(cause)) {
                return type.cast(cause);
            }
        }
        return null;
    }

    /** The resource an admission refusal names in its details ({@code resource}, or the host's shortage). */
    private static String refusedResource(Object details) {
        if (details instanceof Map<?, ?> map) {
            if (map.get("resource") != null) {
                return map.get("resource").toString();
            }
            for (Object key : map.keySet()) {
                if (!"host".equals(key) && !"kind".equals(key)) {
                    return key.toString();
                }
            }
        }
        return "none";
    }

    /** Whether the request failed only because no database connection was free in time. */
    static boolean busy(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            String message = cause.getMessage();
            if (cause instanceof java.sql.SQLException && message != null && message.contains("acquisition timeout")) {
                return true;
            }
        }
        return false;
    }

    private static String path(JsonProcessingException e) {
        if (e instanceof MismatchedInputException m) {
            return m.getPath().stream()
                    .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                    .collect(Collectors.joining("."));
        }
        return "";
    }

    private static String leaf(String propertyPath) {
        int dot = propertyPath.lastIndexOf('.');
        return dot < 0 ? propertyPath : propertyPath.substring(dot + 1);
    }
}

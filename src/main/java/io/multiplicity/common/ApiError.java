package io.multiplicity.common;

import com.fasterxml.jackson.annotation.JsonInclude;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * The one body of every 4xx and 5xx answer.
 *
 * @param error     stable machine-readable code, e.g. {@code not_found}, {@code validation_failed}
 * @param message   human-readable sentence
 * @param details   optional structured detail (the field that failed, the limit that was hit, …)
 * @param requestId the request's id ({@code X-Request-Id}), as the panel's log lines name it
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(description = "The one body of every 4xx and 5xx answer")
public record ApiError(
        @Schema(required = true, description = "Stable machine-readable code, e.g. not_found, validation_failed")
        String error,
        @Schema(required = true, description = "A sentence for people") String message,
        @Schema(description = "Structured detail: the fields that failed, the limit that was hit, …") Object details,
        @Schema(description = "The request's id, as in the X-Request-Id header and the panel's log lines")
        String requestId) {

    /** An error of the request being served. */
    public ApiError(String error, String message, Object details) {
        this(error, message, details, RequestIds.current());
    }
}

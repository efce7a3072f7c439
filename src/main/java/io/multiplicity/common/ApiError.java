package io.multiplicity.common;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The one body of every 4xx and 5xx answer.
 *
 * @param error     stable machine-readable code, e.g. {@code not_found}, {@code validation_failed}
 * @param message   human-readable sentence
 * @param details   optional structured detail (the field that failed, the limit that was hit, …)
 * @param requestId the request's id ({@code X-Request-Id}), as the panel's log lines name it
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ApiError(String error, String message, Object details, String requestId) {

    /** An error of the request being served. */
    public ApiError(String error, String message, Object details) {
        this(error, message, details, RequestIds.current());
    }
}

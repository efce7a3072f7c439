package io.multiplicity.common;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The one body of every 4xx and 5xx answer.
 *
 * @param error   stable machine-readable code, e.g. {@code not_found}, {@code validation_failed}
 * @param message human-readable sentence
 * @param details optional structured detail (the field that failed, the limit that was hit, …)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ApiError(String error, String message, Object details) {
}

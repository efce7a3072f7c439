package io.multiplicity.common;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;

/** Instants given as query parameters ({@code from}, {@code to}): ISO-8601, or a 400 that says so. */
public final class QueryInstants {

    private QueryInstants() {
    }

    /** The instant in {@code value}, or {@code fallback} when it is absent or blank. */
    public static Instant parse(String field, String value, Instant fallback) {
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw ApiException.badRequest("invalid_range", field + " must be an ISO-8601 instant such as "
                    + "2026-11-01T00:00:00Z", Map.of("field", field));
        }
    }
}

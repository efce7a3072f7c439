package io.multiplicity.accounting;

import io.multiplicity.common.ApiException;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A stretch of time that is rated: a calendar month in UTC for bills ({@code 2026-03}), or any
 * range for the usage endpoint. {@code from} is included, {@code to} is not.
 *
 * @param label the month ({@code 2026-03}) for billing periods, null for free ranges
 */
public record BillingPeriod(Instant from, Instant to, String label) {

    /** The longest range the usage endpoint rates in one request. */
    public static final Duration LONGEST_RANGE = Duration.ofDays(400);

    private static final Pattern MONTH = Pattern.compile("\\d{4}-\\d{2}");

    public static BillingPeriod month(YearMonth month) {
        return new BillingPeriod(month.atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC),
                month.plusMonths(1).atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC), month.toString());
    }

    /** Parses {@code YYYY-MM}; 400 for anything else. */
    public static BillingPeriod parseMonth(String period) {
        if (period == null || period.isBlank()) {
            throw ApiException.badRequest("validation_failed", "period is required, as YYYY-MM",
                    Map.of("field", "period"));
        }
        if (!MONTH.matcher(period).matches()) {
            throw ApiException.badRequest("invalid_period", "period must be a month as YYYY-MM, not '" + period + "'",
                    Map.of("field", "period"));
        }
        try {
            YearMonth month = YearMonth.parse(period);
            if (month.getYear() < 2000 || month.getYear() > 2200) {
                throw ApiException.badRequest("invalid_period", "period must lie between 2000-01 and 2200-12",
                        Map.of("field", "period"));
            }
            return month(month);
        } catch (DateTimeParseException e) {
            throw ApiException.badRequest("invalid_period", "period must be a month as YYYY-MM, not '" + period + "'",
                    Map.of("field", "period"));
        }
    }

    /** Parses a range of ISO-8601 instants or dates (a date means its start, UTC); 400 when invalid. */
    public static BillingPeriod parseRange(String from, String to) {
        Instant start = instant("from", from);
        Instant end = instant("to", to);
        if (!end.isAfter(start)) {
            throw ApiException.badRequest("invalid_range", "'to' must be after 'from'", Map.of("field", "to"));
        }
        if (Duration.between(start, end).compareTo(LONGEST_RANGE) > 0) {
            throw ApiException.badRequest("invalid_range", "a range may span at most " + LONGEST_RANGE.toDays()
                    + " days", Map.of("field", "to"));
        }
        return new BillingPeriod(start, end, null);
    }

    private static Instant instant(String field, String value) {
        if (value == null || value.isBlank()) {
            throw ApiException.badRequest("validation_failed", field + " is required, as an ISO-8601 instant or date",
                    Map.of("field", field));
        }
        Instant parsed;
        try {
            parsed = value.length() == 10 ? LocalDate.parse(value).atStartOfDay().toInstant(ZoneOffset.UTC)
                    : Instant.parse(value);
        } catch (DateTimeException e) {
            throw ApiException.badRequest("invalid_range", field + " must be an ISO-8601 instant"
                    + " (2026-03-01T00:00:00Z) or date (2026-03-01), not '" + value + "'", Map.of("field", field));
        }
        if (parsed.isBefore(Instant.parse("2000-01-01T00:00:00Z")) || parsed.isAfter(Instant.parse("2200-12-31T00:00:00Z"))) {
            throw ApiException.badRequest("invalid_range", field + " must lie between 2000 and 2200",
                    Map.of("field", field));
        }
        return parsed;
    }
}

package io.multiplicity.event;

import io.multiplicity.common.ApiException;

/**
 * A stream's position: the last event it delivered, as (transaction, id). Events are delivered
 * in this order, which is final once a transaction is older than every running one; the SSE id
 * of an event is its cursor, {@code <transaction>.<id>}, so {@code Last-Event-ID} resumes exactly
 * after it.
 */
public record EventCursor(long transaction, long id) {

    /** The SSE id of an event at this position. */
    public String text() {
        return transaction + "." + id;
    }

    /** Parses {@code <transaction>.<id>}; a bare number is an event id, resolved by the caller. */
    public static EventCursor parse(String text) {
        String value = text.trim();
        int dot = value.indexOf('.');
        try {
            if (dot < 0) {
                return new EventCursor(-1, Long.parseLong(value));
            }
            return new EventCursor(Long.parseLong(value.substring(0, dot)), Long.parseLong(value.substring(dot + 1)));
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("validation_failed",
                    "an event position is an event id or <transaction>.<id>, not '" + value + "'", null);
        }
    }

    /** Whether only the event id is known (a bare number). */
    public boolean idOnly() {
        return transaction < 0;
    }
}

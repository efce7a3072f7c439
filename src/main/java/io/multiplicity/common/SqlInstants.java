package io.multiplicity.common;

import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;

/** Timestamps as a native query returns them (the JDBC driver's type depends on the column and driver). */
public final class SqlInstants {

    private SqlInstants() {
    }

    /** The instant of a {@code timestamptz} column's value; null for SQL null. */
    public static Instant of(Object value) {
        return switch (value) {
            case null -> null;
            case Instant instant -> instant;
            case OffsetDateTime time -> time.toInstant();
            case Timestamp timestamp -> timestamp.toInstant();
            default -> throw new IllegalStateException("not a timestamp: " + value.getClass());
        };
    }
}

package io.multiplicity.common;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * Time as the database stores it: microsecond precision, so keyset cursors compare exactly.
 *
 * <p>The time comes from the system clock. Tests that must control time (rating over hours of
 * running) set another source with {@link #use} and put the system clock back with
 * {@link #useSystem}; production code never calls either.
 */
public final class Clock {

    private static volatile java.time.Clock source = java.time.Clock.systemUTC();

    private Clock() {
    }

    public static Instant now() {
        return source.instant().truncatedTo(ChronoUnit.MICROS);
    }

    /** Takes the time from {@code clock} from now on; for tests. */
    public static void use(java.time.Clock clock) {
        source = clock;
    }

    /** Takes the time from the system clock again. */
    public static void useSystem() {
        source = java.time.Clock.systemUTC();
    }
}

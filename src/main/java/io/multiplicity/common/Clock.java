package io.multiplicity.common;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** Time as the database stores it: microsecond precision, so keyset cursors compare exactly. */
public final class Clock {

    private Clock() {
    }

    public static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MICROS);
    }
}

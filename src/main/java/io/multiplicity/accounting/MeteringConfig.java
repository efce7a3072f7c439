package io.multiplicity.accounting;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Metering: how often instances are sampled and how long samples and rollups are kept. */
@ConfigMapping(prefix = "multiplicity.metering")
public interface MeteringConfig {

    /** Sample on a schedule; off, samples are taken only when asked (tests, benchmarks). */
    @WithDefault("true")
    boolean scheduled();

    /** Time between two samples of an instance; each sample stands for this much time. */
    @WithDefault("1m")
    Duration interval();

    /** How often complete hours and days are rolled up and expired data deleted. */
    @WithDefault("10m")
    Duration rollupInterval();

    Retention retention();

    interface Retention {

        /** How long raw samples are kept; older ones are deleted once rolled up. */
        @WithDefault("14d")
        Duration raw();

        /** How long hourly rollups are kept. */
        @WithDefault("90d")
        Duration hourly();

        /** How long daily rollups are kept. */
        @WithDefault("800d")
        Duration daily();
    }
}

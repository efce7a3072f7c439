package io.multiplicity.observability;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** The domain metrics on {@code /q/metrics}. */
@ConfigMapping(prefix = "multiplicity.metrics")
public interface MetricsConfig {

    /**
     * How often the gauges read from the database (instances by state and kind, hosts' allocatable
     * and allocated capacity) are read again.
     */
    @WithDefault("15s")
    Duration refreshInterval();
}

package io.multiplicity.accounting;

import java.util.Map;

/**
 * The metered in-memory host with room for a thousand tenant networks: the profile of the
 * benchmarks under bench/, which run only when the system property multiplicity.bench is true.
 */
public class BenchmarkProfile extends MeteredHostProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("multiplicity.hosts.local-name", "test-host", "multiplicity.metering.scheduled", "false",
                "multiplicity.network.pool", "10.0.0.0/8", "quarkus.log.category.\"io.multiplicity\".level", "WARN",
                "quarkus.log.level", "WARN",
                // as the platform runs (the tests' 1 s reads the gauges, a scan of every instance, each second)
                "multiplicity.metrics.refresh-interval", "15s");
    }
}

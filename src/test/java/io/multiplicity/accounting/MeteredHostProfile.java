package io.multiplicity.accounting;

import io.multiplicity.host.contract.HostDriver;
import io.multiplicity.host.contract.InstanceUsage;
import io.multiplicity.support.RecordingHostDriver;
import io.quarkus.test.junit.QuarkusTestProfile;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Alternative;
import jakarta.enterprise.inject.Produces;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The in-memory host, measuring what tests tell it each instance uses; metering samples only when
 * a test asks, so that tests decide the time of every sample.
 */
public class MeteredHostProfile implements QuarkusTestProfile {

    /** What each instance uses, as the host will report it. */
    public static final Map<UUID, InstanceUsage> USAGE = new ConcurrentHashMap<>();

    @Override
    public Set<Class<?>> getEnabledAlternatives() {
        return Set.of(Producer.class);
    }

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("multiplicity.hosts.local-name", "test-host", "multiplicity.metering.scheduled", "false");
    }

    @Alternative
    @ApplicationScoped
    public static class Producer {

        @Produces
        @ApplicationScoped
        HostDriver metered() {
            return new RecordingHostDriver() {
                @Override
                public InstanceUsage usage(UUID instanceId) {
                    InstanceUsage usage = STATES.containsKey(instanceId) ? USAGE.get(instanceId) : null;
                    if (usage == null) {
                        throw new UnsupportedOperationException("usage");
                    }
                    return usage;
                }
            };
        }
    }
}

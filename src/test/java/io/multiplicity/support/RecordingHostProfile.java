package io.multiplicity.support;

import io.multiplicity.host.contract.HostDriver;
import io.quarkus.test.junit.QuarkusTestProfile;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Alternative;
import jakarta.enterprise.inject.Produces;
import java.util.Map;
import java.util.Set;

/** Runs the application with the in-memory host in place of the machine's. */
public class RecordingHostProfile implements QuarkusTestProfile {

    @Override
    public Set<Class<?>> getEnabledAlternatives() {
        return Set.of(Producer.class);
    }

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("multiplicity.hosts.local-name", "test-host");
    }

    @Alternative
    @ApplicationScoped
    public static class Producer {

        @Produces
        @ApplicationScoped
        HostDriver recording() {
            return new RecordingHostDriver();
        }
    }
}

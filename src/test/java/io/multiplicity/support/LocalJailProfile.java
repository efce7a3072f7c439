package io.multiplicity.support;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Runs the application with the real host agent of this machine (ZFS, the OCI runtime, the host
 * bridge), on a throw-away pool, bridge, data directory and address range of its own.
 */
public class LocalJailProfile implements QuarkusTestProfile {

    public static final String SUFFIX = HexFormat.of().toHexDigits((short) ThreadLocalRandom.current().nextInt());

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of(
                "multiplicity.hosts.local-name", "jail-api-host",
                "multiplicity.agent.data-dir", "target/jail-api-" + SUFFIX,
                "multiplicity.agent.pool-name", "mpa" + SUFFIX,
                "multiplicity.agent.pool-size-gib", "4",
                "multiplicity.agent.bridge", "mpa" + SUFFIX,
                "multiplicity.network.pool", "10.91.0.0/16",
                "multiplicity.hosts.reconcile-interval", "2s",
                "multiplicity.console.ticket-lifetime", "5s",
                "multiplicity.console.record", "true");
    }
}

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
        return Map.ofEntries(
                Map.entry("multiplicity.hosts.local-name", "jail-api-host"),
                Map.entry("multiplicity.agent.data-dir", "target/jail-api-" + SUFFIX),
                Map.entry("multiplicity.agent.pool-name", "mpa" + SUFFIX),
                Map.entry("multiplicity.agent.pool-size-gib", "4"),
                Map.entry("multiplicity.agent.bridge", "mpa" + SUFFIX),
                Map.entry("multiplicity.network.pool", "10.91.0.0/16"),
                Map.entry("multiplicity.hosts.reconcile-interval", "2s"),
                Map.entry("multiplicity.console.ticket-lifetime", "5s"),
                Map.entry("multiplicity.console.record", "true"),
                // Small enough that the catalog tests reach them quickly.
                Map.entry("multiplicity.images.max-upload-bytes", "268435456"),
                Map.entry("multiplicity.images.max-unpacked-bytes", "268435456"),
                Map.entry("multiplicity.images.max-entries", "20000"));
    }
}

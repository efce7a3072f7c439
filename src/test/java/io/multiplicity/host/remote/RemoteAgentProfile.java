package io.multiplicity.host.remote;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A control plane with no host agent of its own: every host it drives is a remote agent, started by
 * the test as a process of its own with its own pool, bridge and data directory.
 */
public class RemoteAgentProfile implements QuarkusTestProfile {

    public static final String SUFFIX = HexFormat.of().toHexDigits((short) ThreadLocalRandom.current().nextInt());

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.ofEntries(
                Map.entry("multiplicity.hosts.local-agent", "false"),
                Map.entry("multiplicity.hosts.heartbeat", "1s"),
                Map.entry("multiplicity.hosts.reconcile-interval", "2s"),
                Map.entry("multiplicity.network.pool", "10.94.0.0/16"),
                Map.entry("multiplicity.console.ticket-lifetime", "10s"));
    }
}

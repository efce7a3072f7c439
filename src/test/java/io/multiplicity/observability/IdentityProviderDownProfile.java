package io.multiplicity.observability;

import io.multiplicity.support.RecordingHostProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.Map;

/**
 * A panel whose identity provider does not answer: its OIDC address is a port on the loopback that
 * nothing listens on (the shared test Keycloak keeps running for every other test).
 */
public class IdentityProviderDownProfile extends RecordingHostProfile {

    static final String CLOSED_URL = "http://127.0.0.1:" + closedPort() + "/realms/multiplicity";

    @Override
    public Map<String, String> getConfigOverrides() {
        Map<String, String> overrides = new HashMap<>(super.getConfigOverrides());
        overrides.put("quarkus.oidc.auth-server-url", CLOSED_URL);
        overrides.put("quarkus.oidc.web.auth-server-url", CLOSED_URL);
        overrides.put("quarkus.oidc.connection-delay", "0S");
        return overrides;
    }

    private static int closedPort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

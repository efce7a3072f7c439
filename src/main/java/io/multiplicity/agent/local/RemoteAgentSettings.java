package io.multiplicity.agent.local;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.net.URI;
import java.util.Optional;

/**
 * The host agent as a process of its own ({@link AgentProcess}): where it serves the contract and
 * how it enrols with the control plane. Read from system properties and the environment
 * ({@code MULTIPLICITY_AGENT_REMOTE_CONTROL_PLANE_URL}, ...).
 */
@ConfigMapping(prefix = "multiplicity.agent.remote")
public interface RemoteAgentSettings {

    /** The control plane's base URL, for the enrolment (https in production: the token travels in the body). */
    Optional<URI> controlPlaneUrl();

    /** The one-time enrolment token a platform admin created; needed only until the host is enrolled. */
    Optional<String> enrolmentToken();

    /** The host's name in the panel; the machine's host name by default. */
    Optional<String> name();

    /** The address the agent listens on. */
    @WithDefault("0.0.0.0")
    String listenAddress();

    /** The port the agent listens on (mutual TLS). */
    @WithDefault("9443")
    int port();

    /**
     * The URL the control plane reaches this agent at ({@code https://address:port}); its host part
     * goes into the agent's certificate. The machine's host name and {@link #port()} by default.
     */
    Optional<URI> advertisedUrl();
}

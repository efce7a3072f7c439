package io.multiplicity.agent.local;

import io.multiplicity.agent.remote.AgentCredentials;
import io.multiplicity.agent.remote.AgentServer;
import io.multiplicity.agent.remote.Enrolment;
import io.multiplicity.agent.support.MachineFacts;
import io.multiplicity.host.contract.AgentProtocol.EnrolmentAnswer;
import io.multiplicity.host.contract.HostDriver;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.net.URI;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import org.jboss.logging.Logger;

/**
 * The host agent as a process of its own, the way each host of a larger install runs it: the same
 * packaged application, started with this class as its entry point instead of the panel's
 * ({@code java -cp 'quarkus-app/app/*:quarkus-app/lib/main/*:quarkus-app/lib/boot/*'
 * io.multiplicity.agent.local.AgentProcess}). It needs no database and no identity provider: it
 * builds the host's agent exactly as the in-process one is built, enrols once with the control plane
 * (a one-time token, a key generated here, a certificate the control plane signs), keeps its identity
 * on the host, and serves the contract over mutual TLS until it is stopped.
 */
public final class AgentProcess {

    private static final Logger LOG = Logger.getLogger(AgentProcess.class);

    private AgentProcess() {
    }

    public static void main(String... args) throws Exception {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .addDefaultSources()
                .addDiscoveredConverters()
                .withMapping(LocalAgentSettings.class)
                .withMapping(RemoteAgentSettings.class)
                .build();
        LocalAgentSettings settings = config.getConfigMapping(LocalAgentSettings.class);
        RemoteAgentSettings remote = config.getConfigMapping(RemoteAgentSettings.class);
        Path dataDir = settings.dataDir().orElse(Path.of("data")).toAbsolutePath();
        HostDriver host = LocalAgentProducer.agent(settings, dataDir, true);
        String name = remote.name().orElse(MachineFacts.hostname());
        URI advertised = remote.advertisedUrl().orElse(URI.create("https://" + name + ":" + remote.port()));
        AgentCredentials credentials = new AgentCredentials(dataDir);
        if (!credentials.present()) {
            URI controlPlane = remote.controlPlaneUrl().orElseThrow(() -> new IllegalStateException(
                    "this host is not enrolled yet: set multiplicity.agent.remote.control-plane-url and enrolment-token"));
            String token = remote.enrolmentToken().orElseThrow(() -> new IllegalStateException(
                    "this host is not enrolled yet: set multiplicity.agent.remote.enrolment-token"));
            UUID known = host.facts().hostId();
            EnrolmentAnswer answer = Enrolment.enrol(controlPlane, token, name, advertised, known, credentials);
            if (known == null) {
                host.enroll(answer.hostId());
            }
            LOG.infof("enrolled with %s as host %s (%s)", controlPlane, name, answer.hostId());
        }
        AgentServer server = new AgentServer(host, credentials, dataDir.resolve("agent-imports"));
        int port = server.start(remote.listenAddress(), remote.port());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            if (host instanceof AutoCloseable closeable) {
                try {
                    closeable.close();
                } catch (Exception e) {
                    LOG.warn("closing the host agent", e);
                }
            }
            stopped.countDown();
        }));
        LOG.infof("host agent %s (%s) serves the contract on %s:%d, advertised as %s", name, host.facts().hostId(),
                remote.listenAddress(), port, advertised);
        System.out.println("AGENT READY " + port);
        stopped.await();
    }
}

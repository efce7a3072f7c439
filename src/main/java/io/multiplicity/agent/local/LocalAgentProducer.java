package io.multiplicity.agent.local;

import io.multiplicity.agent.Agent;
import io.multiplicity.agent.HostIdentity;
import io.multiplicity.agent.driver.AgentConfig;
import io.multiplicity.agent.jail.JailDriver;
import io.multiplicity.agent.network.TenantNetworks.Uplink;
import io.multiplicity.agent.vm.VmConfig;
import io.multiplicity.agent.vm.VmDriver;
import io.multiplicity.host.contract.HostDriver;
import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import java.nio.file.Path;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The in-process host agent of a single-node install, as a CDI bean: on Linux an {@link Agent}
 * with jails (ZFS, an OCI runtime, the host bridge) and VMs (mvm, QEMU), elsewhere, or when this
 * process runs no agent, a driver that reports the machine and runs nothing. This is the only
 * place that turns the panel's configuration into the agent's plain configuration.
 */
@ApplicationScoped
public class LocalAgentProducer {

    private static final Logger LOG = Logger.getLogger(LocalAgentProducer.class);

    @Produces
    @DefaultBean
    @ApplicationScoped
    HostDriver localDriver(LocalAgentSettings settings,
                           @ConfigProperty(name = "multiplicity.hosts.local-agent", defaultValue = "true") boolean localAgent,
                           @ConfigProperty(name = "multiplicity.data-dir", defaultValue = "data") Path dataDir) {
        return agent(settings, settings.dataDir().orElse(dataDir), localAgent);
    }

    /**
     * The host agent of this machine from its settings: the one way both the in-process agent and
     * the agent process ({@link AgentProcess}) build it.
     *
     * @param runs whether this process runs an agent at all (else a driver that runs nothing)
     */
    static HostDriver agent(LocalAgentSettings settings, Path directory, boolean runs) {
        if (!runs || !System.getProperty("os.name", "").toLowerCase().contains("linux")) {
            return new NoRuntimeDriver(new HostIdentity(directory.toAbsolutePath(), null));
        }
        AgentConfig config = new AgentConfig(directory, settings.poolName(),
                AgentConfig.defaults().poolFile(), settings.poolSizeGib(), settings.bridge(), settings.runtime(),
                settings.consoleKeeper().orElse(null), settings.pidsLimit(), settings.userNamespaces(),
                Uplink.of(settings.uplink(), settings.resolvers().orElse(null)), settings.warmClones());
        try {
            JailDriver jails = new JailDriver(config);
            VmConfig vms = new VmConfig(settings.mvm().orElse(null), settings.qemu(), settings.qemuAccel(),
                    settings.vmDriver(), VmConfig.parseImageDrivers(settings.vmImageDrivers().orElse(null)),
                    settings.vmRestartPolicy(), settings.vmImageSource().orElse(null),
                    settings.vmDebianImageSource().orElse(null), settings.vmMonitorIdBase(),
                    settings.vmMonitorIdCount());
            return new Agent(new HostIdentity(config.dataDirectory(), jails.storage()), jails,
                    new VmDriver(config, vms, jails.storage(), jails.network()));
        } catch (RuntimeException e) {
            LOG.errorf(e, "the host agent could not prepare this host; it will run no instances");
            return new NoRuntimeDriver(new HostIdentity(config.dataDirectory(), null),
                    "the host agent could not prepare this host: " + e.getMessage());
        }
    }
}

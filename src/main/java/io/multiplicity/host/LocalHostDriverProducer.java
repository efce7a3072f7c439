package io.multiplicity.host;

import io.multiplicity.agent.AgentConfig;
import io.multiplicity.agent.HostAgent;
import io.multiplicity.agent.LinuxHostDriver;
import io.multiplicity.agent.vm.VmConfig;
import io.multiplicity.agent.vm.VmHostDriver;
import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import java.nio.file.Path;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Produces the driver of the in-process host agent: on Linux jails (ZFS, an OCI runtime, the host
 * bridge) and VMs (mvm, QEMU) behind one {@link HostAgent}, elsewhere a driver that reports the machine and runs nothing.
 */
@ApplicationScoped
public class LocalHostDriverProducer {

    private static final Logger LOG = Logger.getLogger(LocalHostDriverProducer.class);

    @Produces
    @DefaultBean
    @ApplicationScoped
    HostDriver localDriver(HostsConfig hosts, AgentSettings settings,
                           @ConfigProperty(name = "multiplicity.data-dir", defaultValue = "data") Path dataDir) {
        if (!hosts.localAgent() || !System.getProperty("os.name", "").toLowerCase().contains("linux")) {
            return new NoRuntimeHostDriver();
        }
        AgentConfig config = AgentConfig.defaults()
                .withDataDirectory(settings.dataDir().orElse(dataDir))
                .withPool(settings.poolName(), settings.poolSizeGib())
                .withBridge(settings.bridge())
                .withPidsLimit(settings.pidsLimit())
                .withUserNamespaces(settings.userNamespaces());
        if (settings.consoleKeeper().isPresent()) {
            config = config.withConsoleKeeper(settings.consoleKeeper().get());
        }
        if (!settings.runtime().equals("auto")) {
            config = new AgentConfig(config.dataDirectory(), config.poolName(), config.poolFile(), config.poolSizeGiB(),
                    config.bridge(), settings.runtime(), config.consoleKeeper(), config.pidsLimit(),
                    config.userNamespaces());
        }
        try {
            LinuxHostDriver jails = new LinuxHostDriver(config);
            VmConfig vms = new VmConfig(settings.mvm().orElse(null), settings.qemu(), settings.qemuAccel(),
                    settings.vmDriver(), VmConfig.parseImageDrivers(settings.vmImageDrivers().orElse(null)),
                    settings.vmRestartPolicy(), settings.vmImageSource().orElse(null));
            return new HostAgent(jails, new VmHostDriver(config, vms, jails.storage(), jails.network()));
        } catch (RuntimeException e) {
            LOG.errorf(e, "the host agent could not prepare this host; it will run no instances");
            return new NoRuntimeHostDriver("the host agent could not prepare this host: " + e.getMessage());
        }
    }
}

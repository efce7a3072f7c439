package io.multiplicity.agent.local;

import io.multiplicity.agent.HostIdentity;
import io.multiplicity.agent.support.MachineFacts;
import io.multiplicity.host.contract.HostDriver;
import io.multiplicity.host.contract.HostFacts;
import io.multiplicity.host.contract.InstanceSpec;
import io.multiplicity.host.contract.InstanceStatus;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The driver of a host on which no instance runtime is available: it reports the machine's
 * capacity and that it runs nothing, so placement never chooses it, and refuses every instance.
 */
public final class NoRuntimeDriver implements HostDriver {

    private final HostIdentity identity;
    private final String why;

    public NoRuntimeDriver(HostIdentity identity) {
        this(identity, "no instance runtime is installed on this host");
    }

    public NoRuntimeDriver(HostIdentity identity, String why) {
        this.identity = identity;
        this.why = why;
    }

    @Override
    public void networkEgress(int tenantNetwork, boolean egress) {
        // it has no networks
    }

    @Override
    public void publish(io.multiplicity.host.contract.PublicAccess access) {
        if (!access.instances().isEmpty()) {
            throw new IllegalStateException(why);
        }
    }

    @Override
    public void enroll(UUID hostId) {
        identity.enroll(hostId);
    }

    @Override
    public HostFacts facts() {
        return new HostFacts(identity.read().orElse(null), MachineFacts.hostname(), MachineFacts.cpus(),
                MachineFacts.memoryMiB(), 0, Set.of(),
                Map.of(), Map.of("jail", why, "vm", why));
    }

    @Override
    public InstanceStatus provision(InstanceSpec spec) {
        throw new IllegalStateException(why);
    }

    @Override
    public InstanceStatus start(InstanceSpec spec) {
        throw new IllegalStateException(why);
    }

    @Override
    public InstanceStatus stop(UUID instanceId, Duration timeout) {
        return InstanceStatus.absent(instanceId);
    }

    @Override
    public void destroy(UUID instanceId) {
    }

    @Override
    public InstanceStatus status(UUID instanceId) {
        return InstanceStatus.absent(instanceId);
    }

    @Override
    public List<InstanceStatus> list() {
        return List.of();
    }
}

package io.multiplicity.host;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The driver of a host on which no instance runtime is available: it reports the machine's
 * capacity and that it runs nothing, so placement never chooses it, and refuses every instance.
 */
public class NoRuntimeHostDriver implements HostDriver {

    private static final String WHY = "no instance runtime is installed on this host";

    @Override
    public HostFacts facts() {
        return new HostFacts(MachineFacts.hostname(), MachineFacts.cpus(), MachineFacts.memoryMiB(), 0, Set.of(),
                Map.of(), Map.of("jail", WHY, "vm", WHY));
    }

    @Override
    public InstanceStatus provision(InstanceSpec spec) {
        throw new IllegalStateException(WHY);
    }

    @Override
    public InstanceStatus start(InstanceSpec spec) {
        throw new IllegalStateException(WHY);
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

package io.multiplicity.host;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The contract between the control plane and the agent of one hypervisor host.
 *
 * <p>On a single node the agent runs in-process and this is a Java call; across hosts the same
 * contract is carried over the network by a remote implementation, so no caller changes. Every
 * mutating method is idempotent: the control plane retries it after a crash or a lost reply, and
 * calling it again for an instance already in the asked-for state succeeds without side effects.
 */
public interface HostDriver {

    /** What this host is and can do: capacity, runtimes, versions. Cheap; may be cached. */
    HostFacts facts();

    /**
     * Creates everything the instance needs on the host (storage cloned from its image, network
     * attachment, runtime bundle) without starting it. Returns the actual state afterwards.
     */
    InstanceStatus provision(InstanceSpec spec);

    /** Starts a provisioned instance; succeeds if it already runs. */
    InstanceStatus start(InstanceSpec spec);

    /** Asks the instance to stop, and forces it after {@code timeout}; succeeds if already stopped. */
    InstanceStatus stop(UUID instanceId, Duration timeout);

    /** Removes every trace of the instance from the host; succeeds if nothing is left already. */
    void destroy(UUID instanceId);

    /** The actual state of one instance; {@code InstanceStatus.absent(id)} when the host has none. */
    InstanceStatus status(UUID instanceId);

    /** Every instance this host knows of, for the reconciler. */
    List<InstanceStatus> list();

    /**
     * What the instance measurably uses now (cgroup or monitor statistics, ZFS properties), for
     * metering; empty when this host does not measure it or has no such instance.
     */
    default Optional<InstanceUsage> usage(UUID instanceId) {
        return Optional.empty();
    }
}

package io.multiplicity.host.contract;

import java.time.Duration;
import java.util.List;
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

    /** What this host is and can do: its identity, capacity, runtimes, versions. Cheap; may be cached. */
    HostFacts facts();

    /**
     * Gives the host its identity, the id of its row in the control plane, which the host keeps
     * and reports in {@link HostFacts#hostId()} from then on. Succeeds when the host has this
     * identity already; refuses (IllegalStateException) a host that has another one.
     */
    void enroll(UUID hostId);

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

    /** Stops the instance (as {@link #stop}) and starts it again. */
    default InstanceStatus restart(InstanceSpec spec, Duration timeout) {
        stop(spec.id(), timeout);
        return start(spec);
    }

    /** Takes a snapshot {@code name} of the instance's storage; succeeds if it exists already. */
    default void snapshot(UUID instanceId, String name) {
        throw new UnsupportedOperationException("snapshots");
    }

    /**
     * Rolls the instance's storage back to snapshot {@code name}, destroying later snapshots. A
     * running instance is stopped for it and started again.
     */
    default InstanceStatus rollback(InstanceSpec spec, String name) {
        throw new UnsupportedOperationException("rollback");
    }

    /** Destroys snapshot {@code name}; succeeds if it is gone already. */
    default void deleteSnapshot(UUID instanceId, String name) {
        throw new UnsupportedOperationException("snapshots");
    }

    /**
     * Applies the spec's vCPUs, memory and disk size; a running instance gets them live where the
     * kind allows (jails do).
     */
    default InstanceStatus resize(InstanceSpec spec) {
        throw new UnsupportedOperationException("resize");
    }

    /** What the instance uses now, for metering. */
    default InstanceUsage usage(UUID instanceId) {
        throw new UnsupportedOperationException("usage");
    }

    /**
     * What each of the instances uses now, in one call: metering reads a host's instances this way,
     * so that a host costs the control plane one request per pass, not one per instance. An
     * instance the host cannot read (gone meanwhile, say) is left out; a host that measures
     * nothing refuses (UnsupportedOperationException), as {@link #usage} does.
     */
    default java.util.Map<UUID, InstanceUsage> usageOf(List<UUID> instanceIds) {
        java.util.Map<UUID, InstanceUsage> readings = new java.util.HashMap<>();
        for (UUID instanceId : instanceIds) {
            try {
                readings.put(instanceId, usage(instanceId));
            } catch (UnsupportedOperationException e) {
                throw e;
            } catch (RuntimeException e) {
                // left out: metering keeps the instance's allocation without readings
            }
        }
        return readings;
    }

    /**
     * Moving an instance to another host, the sending side: a replication stream ({@code zfs send -R})
     * of the stopped instance's dataset with every snapshot it has. Refuses (IllegalStateException) an
     * instance that runs. The caller closes the stream; reading it fails (IOException) when the send
     * did not complete. The instance stays here, whole, until {@link #destroy} removes it.
     */
    default java.io.InputStream sendInstance(UUID instanceId) throws java.io.IOException {
        throw new UnsupportedOperationException("moving instances");
    }

    /**
     * The receiving side: the stream of another host's {@link #sendInstance} becomes the instance's
     * dataset here, ready to start with {@code spec} (it is left stopped). Refuses
     * (IllegalStateException) an instance this host has already; a failed receive leaves nothing.
     */
    default ReceivedInstance receiveInstance(InstanceSpec spec, java.io.InputStream stream) throws java.io.IOException {
        throw new UnsupportedOperationException("moving instances");
    }

    /**
     * Opens a new connection to the instance's graphical console: the RFB (VNC) byte stream of its
     * monitor's VNC server. Each call is a separate RFB client.
     */
    default ConsoleStream openGraphics(UUID instanceId) throws java.io.IOException {
        throw new UnsupportedOperationException("graphical console");
    }

    /** Opens the instance's serial console. */
    default ConsoleStream openConsole(UUID instanceId) throws java.io.IOException {
        throw new UnsupportedOperationException("console");
    }

    /**
     * Lets a tenant network of this host reach the outside through the host's uplink (source NAT),
     * or stops it, at once for its running instances; nothing when the host has no such network.
     */
    void networkEgress(int tenantNetwork, boolean egress);

    /**
     * Replaces how the outside reaches this host's instances (public addresses, port forwards,
     * inbound rules) with {@code access}, in one step: what it had and {@code access} lacks stops
     * at once. Idempotent; refuses (IllegalArgumentException) an access it cannot carry out, and
     * then keeps what it had.
     */
    void publish(PublicAccess access);

    /** The host's image store; hosts that store no images refuse. */
    /**
     * The instance storage pool's size and free space, read now; empty where the host cannot tell.
     * The control plane keeps a reserve of it free (imports and new instances are refused below it).
     */
    default java.util.Optional<StorageSpace> storageSpace() {
        return java.util.Optional.empty();
    }

    default ImageStore images() {
        throw new UnsupportedOperationException("this host stores no images");
    }
}

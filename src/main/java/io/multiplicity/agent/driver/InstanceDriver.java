package io.multiplicity.agent.driver;

import io.multiplicity.agent.storage.ZfsStorage;
import io.multiplicity.agent.support.ImageReference;
import io.multiplicity.agent.support.MachineFacts;
import io.multiplicity.host.contract.ConsoleStream;
import io.multiplicity.host.contract.HostFacts;
import io.multiplicity.host.contract.InstanceSpec;
import io.multiplicity.host.contract.InstanceStatus;
import io.multiplicity.host.contract.InstanceStatus.State;
import io.multiplicity.host.contract.InstanceUsage;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The driver of one kind of instance (jails, VMs) on a host: its lifecycle, the way the host
 * contract describes it, over the host's ZFS storage.
 *
 * <p>This class holds the shape every driver shares: each call on an instance runs under that
 * instance's lock, so two operations on one instance never interleave while different instances
 * proceed in parallel; a spec is checked before anything changes; snapshots are the instance
 * dataset's. A driver fills in the steps ({@code provisionLocked}, {@code startLocked}, …), each
 * called with the instance's lock held.
 */
public abstract class InstanceDriver {

    /** How long a rollback waits for a running instance to stop before it forces it. */
    private static final Duration ROLLBACK_STOP_TIMEOUT = Duration.ofSeconds(10);

    private static final String DNS_LABEL = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?";

    protected final ZfsStorage storage;
    private final Map<UUID, Object> locks = new ConcurrentHashMap<>();

    protected InstanceDriver(ZfsStorage storage) {
        this.storage = storage;
    }

    /** The kind of instance this driver runs: {@code jail} or {@code vm}. */
    public abstract String kind();

    /** What people call one instance of the kind, in messages: {@code jail}, {@code VM}. */
    protected String noun() {
        return kind();
    }

    /** What this host offers for the kind: kinds it runs, runtime versions, problems. */
    public abstract HostFacts facts();

    /** Whether this driver has a record of the instance (so it is one of its kind on this host). */
    public abstract boolean knows(UUID id);

    /** Every instance of this kind the host has. */
    public abstract List<InstanceStatus> list();

    /** What the instance uses now. */
    public abstract InstanceUsage usage(UUID id);

    /** The instance's serial console. */
    public abstract ConsoleStream openConsole(UUID id) throws IOException;

    /** The instance's graphical console; kinds without one refuse. */
    public ConsoleStream openGraphics(UUID id) throws IOException {
        throw new UnsupportedOperationException("graphical console");
    }

    public ZfsStorage storage() {
        return storage;
    }

    // ---------------------------------------------------------------- the contract's lifecycle

    public final InstanceStatus provision(InstanceSpec spec) {
        checkSpec(spec);
        synchronized (lock(spec.id())) {
            provisionLocked(spec);
            return statusLocked(spec.id());
        }
    }

    public final InstanceStatus start(InstanceSpec spec) {
        checkSpec(spec);
        synchronized (lock(spec.id())) {
            return startLocked(spec);
        }
    }

    public final InstanceStatus stop(UUID id, Duration timeout) {
        synchronized (lock(id)) {
            stopLocked(id, timeout);
            return statusLocked(id);
        }
    }

    public final InstanceStatus restart(InstanceSpec spec, Duration timeout) {
        checkSpec(spec);
        synchronized (lock(spec.id())) {
            stopLocked(spec.id(), timeout);
            return startLocked(spec);
        }
    }

    public final void destroy(UUID id) {
        synchronized (lock(id)) {
            destroyLocked(id);
        }
        locks.remove(id);
    }

    public final InstanceStatus status(UUID id) {
        synchronized (lock(id)) {
            return statusLocked(id);
        }
    }

    public final InstanceStatus resize(InstanceSpec spec) {
        checkSpec(spec);
        synchronized (lock(spec.id())) {
            requireKnown(spec.id());
            resizeLocked(spec);
            return statusLocked(spec.id());
        }
    }

    public final void snapshot(UUID id, String name) {
        synchronized (lock(id)) {
            requireKnown(id);
            storage.snapshot(id, name);
        }
    }

    /** Rolls the dataset back; a running instance is stopped for it and started again. */
    public final InstanceStatus rollback(InstanceSpec spec, String name) {
        synchronized (lock(spec.id())) {
            requireKnown(spec.id());
            boolean wasRunning = statusLocked(spec.id()).state() == State.RUNNING;
            if (wasRunning) {
                stopLocked(spec.id(), ROLLBACK_STOP_TIMEOUT);
            }
            storage.rollback(spec.id(), name);
            return wasRunning ? startLocked(spec) : statusLocked(spec.id());
        }
    }

    public final void deleteSnapshot(UUID id, String name) {
        synchronized (lock(id)) {
            storage.destroySnapshot(id, name);
        }
    }

    /** The instance's snapshots, oldest first. */
    public final List<String> snapshots(UUID id) {
        return storage.snapshots(id);
    }

    /**
     * A replication stream of the stopped instance's dataset and its snapshots, for another host's
     * {@link #receiveInstance}. Only drivers whose instances live wholly in their dataset move.
     */
    public java.io.InputStream sendInstance(UUID id) throws java.io.IOException {
        synchronized (lock(id)) {
            requireKnown(id);
            requireMovable();
            if (statusLocked(id).state() == State.RUNNING) {
                throw new IllegalStateException("instance " + id + " runs: stop it before it moves");
            }
            return storage.send(id);
        }
    }

    /** Receives a moved instance's dataset and provisions it here from {@code spec}, stopped. */
    public io.multiplicity.host.contract.ReceivedInstance receiveInstance(InstanceSpec spec, java.io.InputStream stream)
            throws java.io.IOException {
        checkSpec(spec);
        requireMovable();
        synchronized (lock(spec.id())) {
            if (storage.exists(storage.instanceDataset(spec.id()))) {
                throw new IllegalStateException("this host has instance " + spec.id() + " already");
            }
            storage.receive(spec.id(), stream);
            try {
                provisionLocked(spec);
            } catch (RuntimeException e) {
                destroyLocked(spec.id());
                throw e;
            }
            return new io.multiplicity.host.contract.ReceivedInstance(spec.id(), storage.snapshots(spec.id()),
                    storage.usage(spec.id()).referencedBytes());
        }
    }

    /** Refuses (UnsupportedOperationException) to move instances of a kind that keeps state outside its dataset. */
    protected void requireMovable() {
        throw new UnsupportedOperationException("moving instances of this kind between hosts is not built yet");
    }

    // ---------------------------------------------------------------- the steps a driver fills in

    /** Refuses a spec this driver cannot run (IllegalArgumentException) or a kind the host lacks (IllegalStateException). */
    protected abstract void checkSpec(InstanceSpec spec);

    protected abstract void provisionLocked(InstanceSpec spec);

    /** Starts the instance (provisioning it first where needed); succeeds when it runs already. */
    protected abstract InstanceStatus startLocked(InstanceSpec spec);

    /** Stops the instance, forcing it after {@code timeout} (at once when zero); nothing when it is stopped. */
    protected abstract void stopLocked(UUID id, Duration timeout);

    protected abstract InstanceStatus statusLocked(UUID id);

    /** Removes every trace of the instance from the host. */
    protected abstract void destroyLocked(UUID id);

    /** Applies the spec's size to a known instance. */
    protected abstract void resizeLocked(InstanceSpec spec);

    // ---------------------------------------------------------------- for drivers

    /**
     * The host's facts for this kind: the machine, the pool's size, the kind itself unless
     * {@code problems} says why it is unavailable (a problem keyed by the kind), runtimes and problems.
     */
    protected final HostFacts facts(Map<String, String> runtimes, Map<String, String> problems) {
        boolean available = !problems.containsKey(kind());
        long storageGiB = 0;
        if (available) {
            try {
                storageGiB = storage.poolSpace()[0] >> 30;
            } catch (RuntimeException e) {
                storageGiB = 0;
            }
        }
        return new HostFacts(null, MachineFacts.hostname(), MachineFacts.cpus(), MachineFacts.memoryMiB(), storageGiB,
                available ? Set.of(kind()) : Set.of(), Map.copyOf(runtimes), Map.copyOf(problems));
    }

    /** Refuses a spec whose kind is not this driver's, or whose name is not a DNS label, or when the kind is unavailable. */
    protected final void checkKindAndName(InstanceSpec spec, String unavailable) {
        if (!kind().equals(spec.kind())) {
            throw new IllegalArgumentException("this driver runs " + noun() + "s, not " + spec.kind());
        }
        if (unavailable != null) {
            throw new IllegalStateException(noun() + "s unavailable on this host: " + unavailable);
        }
        if (spec.name() == null || !spec.name().matches(DNS_LABEL)) {
            throw new IllegalArgumentException("instance name must be a DNS label: " + spec.name());
        }
    }

    /** The instance's lock: every call on one instance holds it. */
    protected final Object lock(UUID id) {
        return locks.computeIfAbsent(id, key -> new Object());
    }

    protected final void requireKnown(UUID id) {
        if (!knows(id)) {
            throw new IllegalArgumentException("no " + noun() + " " + id + " on this host");
        }
    }

    /** The version an image reference names, or the newest one the host has. */
    protected final int imageVersion(ImageReference image) {
        if (image.version().isPresent()) {
            return image.version().getAsInt();
        }
        return storage.latestImageVersion(image.name())
                .orElseThrow(() -> new IllegalArgumentException("no image " + image.name() + " on this host"));
    }
}

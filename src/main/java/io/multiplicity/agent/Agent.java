package io.multiplicity.agent;

import io.multiplicity.agent.driver.HeldConsoles;
import io.multiplicity.agent.driver.InstanceDriver;
import io.multiplicity.agent.image.ZfsImageStore;
import io.multiplicity.agent.jail.JailDriver;
import io.multiplicity.agent.vm.VmDriver;
import io.multiplicity.host.contract.ConsoleStream;
import io.multiplicity.host.contract.HostDriver;
import io.multiplicity.host.contract.HostFacts;
import io.multiplicity.host.contract.ImageStore;
import io.multiplicity.host.contract.InstanceSpec;
import io.multiplicity.host.contract.InstanceStatus;
import io.multiplicity.host.contract.InstanceUsage;
import io.multiplicity.host.contract.PublicAccess;
import io.multiplicity.host.contract.StorageSpace;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The host agent: the whole {@link HostDriver} contract for one host, served by one
 * {@link InstanceDriver} per kind ({@link JailDriver}, {@link VmDriver}) over the host's shared
 * storage and networks, and the host's image store.
 *
 * <p>Calls with a spec go to the driver of the spec's kind; calls with an id go to the driver
 * that has a record of the instance (VMs keep one from their provisioning on, so anything else is
 * a jail). Facts of the drivers are merged. It is plain Java: the in-process agent of a single
 * node wraps it for Quarkus ({@code agent.local}), a remote agent serves it over the network.
 */
public final class Agent implements HostDriver, AutoCloseable {

    private final HostIdentity identity;
    private final JailDriver jails;
    private final VmDriver vms;
    private final ZfsImageStore images;
    /** Serial output kept per running instance for every new reader of its console. */
    public static final int SCROLLBACK_BYTES = 1024 * 1024;
    /** The serial consoles of the running instances, held here whether or not anyone watches. */
    private final HeldConsoles consoles;

    public Agent(HostIdentity identity, JailDriver jails, VmDriver vms) {
        this.identity = identity;
        this.jails = jails;
        this.vms = vms;
        this.images = new ZfsImageStore(jails.storage(), jails.usesUserNamespaces() ? JailDriver.ID_BASE : -1);
        this.consoles = new HeldConsoles(id -> forId(id).openConsole(id), SCROLLBACK_BYTES);
    }

    /** Holds the console of an instance that runs now, from its first output on. */
    private InstanceStatus held(InstanceStatus status) {
        if (status != null && status.state() == InstanceStatus.State.RUNNING) {
            consoles.holdAfterStart(status.id());
        }
        return status;
    }

    public JailDriver jails() {
        return jails;
    }

    public VmDriver vms() {
        return vms;
    }

    private InstanceDriver forSpec(InstanceSpec spec) {
        return vms.kind().equals(spec.kind()) ? vms : jails;
    }

    private InstanceDriver forId(UUID id) {
        return vms.knows(id) ? vms : jails;
    }

    @Override
    public ImageStore images() {
        return images;
    }

    @Override
    public Optional<StorageSpace> storageSpace() {
        long[] space = jails.storage().poolSpace();
        return Optional.of(new StorageSpace(space[0], space[1]));
    }

    @Override
    public HostFacts facts() {
        HostFacts jail = jails.facts();
        HostFacts vm = vms.facts();
        Set<String> kinds = new HashSet<>(jail.kinds());
        kinds.addAll(vm.kinds());
        Map<String, String> runtimes = new LinkedHashMap<>(jail.runtimes());
        runtimes.putAll(vm.runtimes());
        Map<String, String> problems = new LinkedHashMap<>(jail.problems());
        problems.putAll(vm.problems());
        return new HostFacts(identity.read().orElse(null), jail.hostname(), jail.cpus(), jail.memoryMiB(),
                Math.max(jail.storageGiB(), vm.storageGiB()),
                Set.copyOf(kinds), Map.copyOf(runtimes), Map.copyOf(problems));
    }

    @Override
    public void networkEgress(int tenantNetwork, boolean egress) {
        jails.network().tenants().egress(jails.network().tenantBridge(tenantNetwork), egress);
    }

    @Override
    public void publish(PublicAccess access) {
        jails.network().tenants().publish(access);
    }

    @Override
    public void enroll(UUID hostId) {
        identity.enroll(hostId);
    }

    @Override
    public InstanceStatus provision(InstanceSpec spec) {
        return forSpec(spec).provision(spec);
    }

    @Override
    public InstanceStatus start(InstanceSpec spec) {
        return held(forSpec(spec).start(spec));
    }

    @Override
    public InstanceStatus stop(UUID instanceId, Duration timeout) {
        try {
            // a viewer sees the instance's shutdown on its console to the end
            return forId(instanceId).stop(instanceId, timeout);
        } finally {
            consoles.release(instanceId);
        }
    }

    @Override
    public void destroy(UUID instanceId) {
        try {
            forId(instanceId).destroy(instanceId);
        } finally {
            consoles.release(instanceId);
        }
    }

    @Override
    public InstanceStatus status(UUID instanceId) {
        return forId(instanceId).status(instanceId);
    }

    @Override
    public List<InstanceStatus> list() {
        List<InstanceStatus> all = new ArrayList<>(jails.list());
        all.addAll(vms.list());
        return all;
    }

    @Override
    public InstanceStatus restart(InstanceSpec spec, Duration timeout) {
        consoles.release(spec.id());
        return held(forSpec(spec).restart(spec, timeout));
    }

    @Override
    public void snapshot(UUID instanceId, String name) {
        forId(instanceId).snapshot(instanceId, name);
    }

    @Override
    public InstanceStatus rollback(InstanceSpec spec, String name) {
        consoles.release(spec.id());
        return held(forSpec(spec).rollback(spec, name));
    }

    @Override
    public void deleteSnapshot(UUID instanceId, String name) {
        forId(instanceId).deleteSnapshot(instanceId, name);
    }

    @Override
    public InstanceStatus resize(InstanceSpec spec) {
        return forSpec(spec).resize(spec);
    }

    @Override
    public java.io.InputStream sendInstance(UUID instanceId) throws IOException {
        return forId(instanceId).sendInstance(instanceId);
    }

    @Override
    public io.multiplicity.host.contract.ReceivedInstance receiveInstance(InstanceSpec spec, java.io.InputStream stream)
            throws IOException {
        return forSpec(spec).receiveInstance(spec, stream);
    }

    @Override
    public InstanceUsage usage(UUID instanceId) {
        return forId(instanceId).usage(instanceId);
    }

    @Override
    public ConsoleStream openConsole(UUID instanceId) throws IOException {
        return consoles.open(instanceId);
    }

    @Override
    public ConsoleStream openGraphics(UUID instanceId) throws IOException {
        return forId(instanceId).openGraphics(instanceId);
    }

    @Override
    public void close() {
        consoles.close();
        vms.close();
        jails.close();
    }
}

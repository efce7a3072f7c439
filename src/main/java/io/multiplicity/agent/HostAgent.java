package io.multiplicity.agent;

import io.multiplicity.agent.image.ZfsImageStore;
import io.multiplicity.agent.vm.VmHostDriver;
import io.multiplicity.host.ImageStore;
import io.multiplicity.host.HostDriver;
import io.multiplicity.host.HostFacts;
import io.multiplicity.host.InstanceSpec;
import io.multiplicity.host.InstanceStatus;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The host agent of a Linux host: jails through {@link LinuxHostDriver}, VMs through
 * {@link VmHostDriver}, behind the one {@link HostDriver} contract. Calls with a spec go by its
 * kind; calls with an id go to the driver that knows the instance (VMs keep a record from their
 * provisioning on, so anything else is a jail). Facts are merged.
 */
public final class HostAgent implements HostDriver, AutoCloseable {

    private final LinuxHostDriver jails;
    private final VmHostDriver vms;
    private final ZfsImageStore images;

    public HostAgent(LinuxHostDriver jails, VmHostDriver vms) {
        this.jails = jails;
        this.vms = vms;
        this.images = new ZfsImageStore(jails.storage(), jails.usesUserNamespaces() ? LinuxHostDriver.ID_BASE : -1);
    }

    @Override
    public ImageStore images() {
        return images;
    }

    public LinuxHostDriver jails() {
        return jails;
    }

    public VmHostDriver vms() {
        return vms;
    }

    private HostDriver forSpec(InstanceSpec spec) {
        return "vm".equals(spec.kind()) ? vms : jails;
    }

    private HostDriver forId(UUID id) {
        return vms.knows(id) ? vms : jails;
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
        return new HostFacts(jail.hostname(), jail.cpus(), jail.memoryMiB(), Math.max(jail.storageGiB(), vm.storageGiB()),
                Set.copyOf(kinds), Map.copyOf(runtimes), Map.copyOf(problems));
    }

    @Override
    public InstanceStatus provision(InstanceSpec spec) {
        return forSpec(spec).provision(spec);
    }

    @Override
    public InstanceStatus start(InstanceSpec spec) {
        return forSpec(spec).start(spec);
    }

    @Override
    public InstanceStatus stop(UUID instanceId, Duration timeout) {
        return forId(instanceId).stop(instanceId, timeout);
    }

    @Override
    public void destroy(UUID instanceId) {
        forId(instanceId).destroy(instanceId);
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
        return forSpec(spec).restart(spec, timeout);
    }

    @Override
    public void snapshot(UUID instanceId, String name) {
        forId(instanceId).snapshot(instanceId, name);
    }

    @Override
    public InstanceStatus rollback(InstanceSpec spec, String name) {
        return forSpec(spec).rollback(spec, name);
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
    public Usage usage(UUID instanceId) {
        return forId(instanceId).usage(instanceId);
    }

    @Override
    public ConsoleStream openConsole(UUID instanceId) throws IOException {
        return forId(instanceId).openConsole(instanceId);
    }

    @Override
    public ConsoleStream openGraphics(UUID instanceId) throws IOException {
        return forId(instanceId).openGraphics(instanceId);
    }

    @Override
    public void close() {
        vms.close();
    }
}

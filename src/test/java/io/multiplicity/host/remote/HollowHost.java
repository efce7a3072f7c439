package io.multiplicity.host.remote;

import io.multiplicity.host.contract.HostDriver;
import io.multiplicity.host.contract.HostFacts;
import io.multiplicity.host.contract.ImageStore;
import io.multiplicity.host.contract.InstanceSpec;
import io.multiplicity.host.contract.InstanceStatus;
import io.multiplicity.host.contract.InstanceUsage;
import io.multiplicity.host.contract.PublicAccess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A hollow host, as Kubernetes' kubemark has hollow nodes: the agent's side of the contract served
 * by the real {@code AgentServer} over mutual TLS, with the control plane's real heartbeats,
 * reconciliation, publication and metering against it, but no runtime behind it. Its instances are
 * entries in a map: a provision records one stopped, a start marks it running with a process id of
 * its own, a stop and a destroy change or drop the entry. It reports a large machine and holds the
 * agents' built-in busybox image, so every create of it is placed and admitted as on a real host.
 * For the fleet benchmark only: it lets one machine stand in for hundreds of hosts, so that what is
 * measured is the control plane's cost of a fleet.
 */
final class HollowHost implements HostDriver {

    /** The built-in image every hollow host holds, as real agents build busybox themselves. */
    static final String IMAGE = "busybox";

    private final String name;
    private volatile UUID hostId;
    private final Map<UUID, InstanceStatus> instances = new ConcurrentHashMap<>();
    private final AtomicLong pids = new AtomicLong(1000);
    /** Facts asked, i.e. heartbeats answered. */
    final LongAdder heartbeats = new LongAdder();
    /** Every call served, heartbeats included. */
    final LongAdder calls = new LongAdder();

    HollowHost(String name) {
        this.name = name;
    }

    UUID hostId() {
        return hostId;
    }

    /** Puts an instance the database was seeded with on this host, as an agent that runs it would have it. */
    void holds(UUID instanceId, boolean running) {
        instances.put(instanceId, running ? running(instanceId) : stopped(instanceId));
    }

    int size() {
        return instances.size();
    }

    private InstanceStatus running(UUID id) {
        return new InstanceStatus(id, InstanceStatus.State.RUNNING, pids.incrementAndGet(), null);
    }

    private static InstanceStatus stopped(UUID id) {
        return new InstanceStatus(id, InstanceStatus.State.STOPPED, 0, null);
    }

    @Override
    public HostFacts facts() {
        calls.increment();
        heartbeats.increment();
        return new HostFacts(hostId, name, 4096, 16L * 1024 * 1024, 1024L * 1024, Set.of("jail", "vm"),
                Map.of("hollow", "1"), Map.of());
    }

    @Override
    public void enroll(UUID id) {
        calls.increment();
        hostId = id;
    }

    @Override
    public InstanceStatus provision(InstanceSpec spec) {
        calls.increment();
        return instances.computeIfAbsent(spec.id(), HollowHost::stopped);
    }

    @Override
    public InstanceStatus start(InstanceSpec spec) {
        calls.increment();
        return instances.compute(spec.id(), (id, status) -> status != null
                && status.state() == InstanceStatus.State.RUNNING ? status : running(id));
    }

    @Override
    public InstanceStatus stop(UUID instanceId, Duration timeout) {
        calls.increment();
        InstanceStatus status = instances.computeIfPresent(instanceId, (id, old) -> stopped(id));
        return status == null ? InstanceStatus.absent(instanceId) : status;
    }

    @Override
    public void destroy(UUID instanceId) {
        calls.increment();
        instances.remove(instanceId);
    }

    @Override
    public InstanceStatus status(UUID instanceId) {
        calls.increment();
        return instances.getOrDefault(instanceId, InstanceStatus.absent(instanceId));
    }

    @Override
    public List<InstanceStatus> list() {
        calls.increment();
        return List.copyOf(instances.values());
    }

    @Override
    public InstanceUsage usage(UUID instanceId) {
        calls.increment();
        InstanceStatus status = instances.get(instanceId);
        if (status == null) {
            throw new IllegalArgumentException("no such instance: " + instanceId);
        }
        return reading(status);
    }

    private static InstanceUsage reading(InstanceStatus status) {
        boolean running = status.state() == InstanceStatus.State.RUNNING;
        return new InstanceUsage(1L << 20, 1L << 20, 0, 1.0, running ? 8L << 20 : 0, 0, 0, 0, 0L);
    }

    @Override
    public Map<UUID, InstanceUsage> usageOf(List<UUID> instanceIds) {
        calls.increment();
        Map<UUID, InstanceUsage> readings = new java.util.HashMap<>();
        for (UUID instanceId : instanceIds) {
            InstanceStatus status = instances.get(instanceId);
            if (status != null) {
                readings.put(instanceId, reading(status));
            }
        }
        return readings;
    }

    @Override
    public void networkEgress(int tenantNetwork, boolean egress) {
        calls.increment();
    }

    @Override
    public void publish(PublicAccess access) {
        calls.increment();
    }

    @Override
    public ImageStore images() {
        return images;
    }

    private final ImageStore images = new ImageStore() {

        @Override
        public Imported importRootfs(String key, int version, Path archive, Limits limits) {
            throw new UnsupportedOperationException("a hollow host imports no images");
        }

        @Override
        public Imported importDisk(String key, int version, Path disk, String format, VmBoot boot, Limits limits) {
            throw new UnsupportedOperationException("a hollow host imports no images");
        }

        @Override
        public Imported importKernel(String key, int version, Path archive, VmBoot boot, Limits limits) {
            throw new UnsupportedOperationException("a hollow host imports no images");
        }

        @Override
        public boolean has(String key, int version) {
            calls.increment();
            return IMAGE.equals(key) && version == 1;
        }

        @Override
        public void destroyVersion(String key, int version) {
            throw new IllegalStateException("a hollow host keeps its built-in image");
        }

        /** The digest of a stream a hollow host does not have: that of the image's name and version. */
        @Override
        public String digest(String key, int version) {
            calls.increment();
            try {
                return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                        .digest((key + "@" + version).getBytes(StandardCharsets.UTF_8)));
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public List<BuiltIn> builtIns() {
            calls.increment();
            return List.of(new BuiltIn(IMAGE, "jail", 1, "busybox", "BusyBox (hollow host)", null, 1L << 20));
        }

        @Override
        public List<Integer> versions(String key) {
            return IMAGE.equals(key) ? List.of(1) : List.of();
        }
    };
}

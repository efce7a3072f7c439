package io.multiplicity.support;

import io.multiplicity.host.contract.HostDriver;
import io.multiplicity.host.contract.HostFacts;
import io.multiplicity.host.contract.ImageStore;
import io.multiplicity.host.contract.InstanceSpec;
import io.multiplicity.host.contract.InstanceStatus;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An in-memory host for tests of the control plane alone (authorization, validation, the
 * operation worker): it keeps the state the contract describes and can be told to be slow or to
 * fail. Tests of jails and VMs use the real host driver.
 */
public class RecordingHostDriver implements HostDriver {

    public static final Map<UUID, InstanceStatus.State> STATES = new ConcurrentHashMap<>();
    public static volatile Duration delay = Duration.ZERO;
    public static volatile String failProvisionWith;

    /** The identity the in-memory host was enrolled with; it outlives the application, as a real host's does. */
    private static volatile UUID identity;

    public static void reset() {
        STATES.clear();
        delay = Duration.ZERO;
        failProvisionWith = null;
    }

    private static final RecordingImageStore IMAGES = new RecordingImageStore();

    @Override
    public ImageStore images() {
        return IMAGES;
    }

    @Override
    public HostFacts facts() {
        return new HostFacts(identity, "test-host", 8, 32768, 500, Set.of("jail", "vm"), Map.of("recording", "1"), Map.of());
    }

    /** The spec each instance was last provisioned or started with. */
    public static final Map<UUID, InstanceSpec> SPECS = new ConcurrentHashMap<>();

    /** The egress each tenant network was last switched to, as the host was told. */
    public static final Map<Integer, Boolean> EGRESS = new ConcurrentHashMap<>();

    @Override
    public void networkEgress(int tenantNetwork, boolean egress) {
        EGRESS.put(tenantNetwork, egress);
    }

    /** What each instance's graphical console received, as its VM's RFB server would. */
    public static final Map<UUID, java.io.ByteArrayOutputStream> GRAPHICS_INPUT = new ConcurrentHashMap<>();

    /** A graphical console that greets as an RFB 3.8 server and records what it is sent. */
    @Override
    public io.multiplicity.host.contract.ConsoleStream openGraphics(UUID instanceId) throws java.io.IOException {
        if (STATES.get(instanceId) != InstanceStatus.State.RUNNING) {
            throw new java.io.IOException("not running");
        }
        java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
        // the server's greeting, then nothing until the console is closed
        java.io.InputStream fromConsole = new java.io.SequenceInputStream(
                new java.io.ByteArrayInputStream("RFB 003.008\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII)),
                new java.io.InputStream() {
                    @Override
                    public int read() throws java.io.IOException {
                        try {
                            closed.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        return -1;
                    }
                });
        java.io.ByteArrayOutputStream received = GRAPHICS_INPUT.computeIfAbsent(instanceId,
                id -> new java.io.ByteArrayOutputStream());
        java.io.OutputStream toConsole = new java.io.OutputStream() {
            @Override
            public void write(int b) {
                synchronized (received) {
                    received.write(b);
                }
            }

            @Override
            public void write(byte[] bytes, int offset, int length) {
                synchronized (received) {
                    received.write(bytes, offset, length);
                }
            }
        };
        return new io.multiplicity.host.contract.ConsoleStream() {
            @Override
            public java.io.InputStream fromConsole() {
                return fromConsole;
            }

            @Override
            public java.io.OutputStream toConsole() {
                return toConsole;
            }

            @Override
            public void close() {
                closed.countDown();
            }
        };
    }

    /** What the host was last told to publish. */
    public static volatile io.multiplicity.host.contract.PublicAccess published =
            io.multiplicity.host.contract.PublicAccess.none();

    @Override
    public void publish(io.multiplicity.host.contract.PublicAccess access) {
        published = access;
    }

    @Override
    public void enroll(UUID hostId) {
        if (identity != null && !identity.equals(hostId)) {
            throw new IllegalStateException("the host is already enrolled as " + identity);
        }
        identity = hostId;
    }

    @Override
    public InstanceStatus provision(InstanceSpec spec) {
        pause();
        if (failProvisionWith != null) {
            throw new IllegalStateException(failProvisionWith);
        }
        STATES.putIfAbsent(spec.id(), InstanceStatus.State.STOPPED);
        SPECS.put(spec.id(), spec);
        return status(spec.id());
    }

    @Override
    public InstanceStatus start(InstanceSpec spec) {
        pause();
        STATES.put(spec.id(), InstanceStatus.State.RUNNING);
        SPECS.put(spec.id(), spec);
        return status(spec.id());
    }

    @Override
    public InstanceStatus stop(UUID instanceId, Duration timeout) {
        pause();
        STATES.computeIfPresent(instanceId, (id, state) -> InstanceStatus.State.STOPPED);
        return status(instanceId);
    }

    @Override
    public void destroy(UUID instanceId) {
        pause();
        STATES.remove(instanceId);
    }

    @Override
    public void snapshot(UUID instanceId, String name) {
        pause();
    }

    /** Snapshots the host was told to destroy, as instance@name. */
    public static final java.util.Set<String> DELETED_SNAPSHOTS = ConcurrentHashMap.newKeySet();

    @Override
    public void deleteSnapshot(UUID instanceId, String name) {
        pause();
        DELETED_SNAPSHOTS.add(instanceId + "@" + name);
    }

    @Override
    public InstanceStatus rollback(InstanceSpec spec, String name) {
        pause();
        return status(spec.id());
    }

    @Override
    public InstanceStatus resize(InstanceSpec spec) {
        pause();
        return status(spec.id());
    }

    @Override
    public InstanceStatus status(UUID instanceId) {
        InstanceStatus.State state = STATES.get(instanceId);
        return state == null ? InstanceStatus.absent(instanceId)
                : new InstanceStatus(instanceId, state, state == InstanceStatus.State.RUNNING ? 4242 : 0, null);
    }

    @Override
    public List<InstanceStatus> list() {
        return STATES.keySet().stream().map(this::status).toList();
    }

    private static void pause() {
        if (!delay.isZero()) {
            try {
                Thread.sleep(delay.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}

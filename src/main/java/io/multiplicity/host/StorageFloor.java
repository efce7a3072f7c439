package io.multiplicity.host;

import io.multiplicity.common.ApiException;
import io.multiplicity.host.contract.HostDriver;
import io.multiplicity.host.contract.StorageSpace;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Keeps a reserve of every host's storage pool free. Quotas and overcommit ratios bound what
 * tenants are promised; this bounds what is really written: clones and thin disks grow into the
 * pool after they were admitted, and a full pool stops every instance on it. So an import is
 * admitted only when what it will write fits above the reserve (checked before a byte reaches the
 * pool), and a host whose pool is already down to its reserve takes no new instance and no disk
 * growth. Refusals are 507 with the pool's figures.
 */
@ApplicationScoped
public class StorageFloor {

    private static final Logger LOG = Logger.getLogger(StorageFloor.class);
    /** Placement reads a host's pool at most this often (an import always reads it afresh). */
    private static final Duration READING_LIFETIME = Duration.ofSeconds(5);
    /** An older reading (younger than this) still decides an admission while a new one is taken beside it. */
    private static final Duration STALE_LIMIT = Duration.ofSeconds(60);

    @Inject
    HostsConfig config;

    @Inject
    HostDrivers drivers;

    private final Map<UUID, Reading> readings = new ConcurrentHashMap<>();
    /** Hosts whose pool is being read beside an admission. */
    private final java.util.Set<UUID> refreshing = ConcurrentHashMap.newKeySet();

    private record Reading(StorageSpace space, long readAtNanos) {
    }

    /**
     * What a pool can still take above its reserve.
     *
     * @param availableBytes free in the pool now
     * @param reserveBytes   kept free
     */
    public record Room(long availableBytes, long reserveBytes) {

        /** Bytes that may still be written; never negative. */
        public long bytes() {
            return Math.max(0, availableBytes - reserveBytes);
        }
    }

    /** The room of the pool behind {@code driver}, read now; empty when the host does not tell. */
    public Optional<Room> room(HostDriver driver) {
        return driver.storageSpace().map(this::room);
    }

    /**
     * Refuses {@code bytes} more on the pool of {@code where} (a host's name, or what the pool
     * serves) when they would eat into its reserve. {@code what} names what would be written.
     */
    public void require(Room room, long bytes, String where, String what) {
        boolean fits = bytes > 0 ? room.availableBytes() - room.reserveBytes() >= bytes
                : room.availableBytes() > room.reserveBytes();
        if (!fits) {
            throw shortage(room, bytes, where, what);
        }
    }

    /** The 507 refusal of {@code bytes} more on a pool with {@code room}, with the pool's figures. */
    public ApiException shortage(Room room, long bytes, String where, String what) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("where", where);
        details.put("availableBytes", room.availableBytes());
        details.put("reserveBytes", room.reserveBytes());
        details.put("requestedBytes", Math.max(bytes, 0));
        return new ApiException(507, "insufficient_storage", "the storage pool of " + where + " has "
                + gib(room.availableBytes()) + " GiB free and keeps " + gib(room.reserveBytes())
                + " GiB in reserve: no room for " + what, details);
    }

    /**
     * Refuses a new instance or a disk growth on a host whose pool is down to its reserve. Uses a
     * reading of the last few seconds, or one of the last minute while a new one is taken; a host
     * that cannot be read is not refused here (its agent answers for itself when the operation runs).
     */
    public void requireRoomOnHost(Host host, String what) {
        Optional<StorageSpace> space;
        try {
            space = recent(host.id);
        } catch (RuntimeException e) {
            LOG.debugf("cannot read the storage pool of host %s: %s", host.name, e.getMessage());
            return;
        }
        space.ifPresent(reading -> require(room(reading), 0, "host " + host.name, what));
    }

    private Optional<StorageSpace> recent(UUID hostId) {
        Reading reading = readings.get(hostId);
        long now = System.nanoTime();
        if (reading != null && now - reading.readAtNanos() < READING_LIFETIME.toNanos()) {
            return Optional.of(reading.space());
        }
        HostDriver driver = drivers.forHost(hostId);
        if (reading != null && now - reading.readAtNanos() < STALE_LIMIT.toNanos()) {
            // Read again beside the admission, not inside it (which holds the host's lock and a
            // database connection): a fleet's creates spread over many hosts would otherwise wait
            // for an agent's answer nearly every time. This admission goes by the last reading.
            if (refreshing.add(hostId)) {
                Thread.ofVirtual().name("storage-reading").start(() -> {
                    try {
                        read(hostId, driver, System.nanoTime());
                    } catch (RuntimeException e) {
                        LOG.debugf("cannot read the storage pool of host %s: %s", hostId, e.getMessage());
                    } finally {
                        refreshing.remove(hostId);
                    }
                });
            }
            return Optional.of(reading.space());
        }
        return read(hostId, driver, now);
    }

    private Optional<StorageSpace> read(UUID hostId, HostDriver driver, long now) {
        Optional<StorageSpace> space = driver.storageSpace();
        space.ifPresentOrElse(fresh -> readings.put(hostId, new Reading(fresh, now)), () -> readings.remove(hostId));
        return space;
    }

    private Room room(StorageSpace space) {
        int percent = Math.clamp(config.storageReservePercent(), 0, 100);
        long reserve = Math.max(space.sizeBytes() / 100 * percent,
                config.storageReserveMinGib() << 30);
        return new Room(space.availableBytes(), reserve);
    }

    private static String gib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f", bytes / (double) (1L << 30));
    }
}

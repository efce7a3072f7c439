package io.multiplicity.catalog;

import io.multiplicity.host.Host;
import io.multiplicity.host.HostDrivers;
import io.multiplicity.host.contract.HostDriver;
import io.multiplicity.host.contract.ImageStore;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.jboss.logging.Logger;

/**
 * Where image versions are, and how one reaches a host that lacks it. A version is imported on the
 * image host ({@link HostDrivers#imageHost()}); an instance of it placed on another host gets it
 * there first, copied from a host that holds it ({@code zfs send | zfs receive} between the two
 * agents, piped through this replica as an instance's move is), on first use only: the copy is the
 * same snapshot, checked by its ZFS guid, and later instances on that host clone it as they would on
 * the image host. The hosts that hold a version are recorded ({@code image_version_hosts}) so that
 * placement can prefer them and a deleted version is destroyed on each of them.
 */
@ApplicationScoped
public class ImageCopies {

    private static final Logger LOG = Logger.getLogger(ImageCopies.class);

    @Inject
    HostDrivers hosts;

    @Inject
    EntityManager em;

    /** One lock per host and version: concurrent creates of one version on one host copy it once. */
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();

    /**
     * How long a host's answer that it holds a version is believed without asking again: the creates
     * of one version on one host ask once a minute, not once each. A version is destroyed on a host
     * only after its row says it was deleted, and an instance is never created from a deleted one.
     */
    private static final java.time.Duration SEEN_HELD_FOR = java.time.Duration.ofMinutes(1);

    /**
     * How hosts name each version (its image's name and storage key, its sequence and label), none
     * of which ever changes once the version exists: read once per replica, not once per create.
     */
    private final Map<UUID, Stored> storedVersions = new ConcurrentHashMap<>();

    /** "host/version" → until when (System.nanoTime()) the host is believed to hold the version. */
    private final Map<String, Long> seenHeld = new ConcurrentHashMap<>();

    /** A copy made: the host it came from, and the guid of the version's snapshot on both. */
    public record Copied(UUID fromHost, String fromName, String guid) {
    }

    /** A version and its image, as the hosts name them. */
    private record Stored(UUID versionId, String imageName, String key, int seq, String label) {
    }

    /**
     * Makes sure the host holds the version an instance is created from, copying it there from a
     * host that holds it when it lacks it. Answers the copy made, empty when none was needed. Fails
     * (IllegalStateException) with the reason when no host holding the version answers or the copy
     * failed; the host is then left without any of it.
     */
    public Optional<Copied> ensureOn(UUID hostId, UUID versionId) throws Exception {
        record Found(Stored stored, Set<UUID> holders) {
        }
        Found found = QuarkusTransaction.joiningExisting().call(() -> new Found(stored(versionId), holders(versionId)));
        Stored stored = found.stored();
        if (stored == null) {
            throw new IllegalStateException("the image version of the instance was deleted");
        }
        if (found.holders().isEmpty() && hosts.imageHostId().filter(hostId::equals).isPresent()) {
            // A version no host is recorded to hold (a built-in, which every host builds itself, or one
            // imported before copies were recorded) on the image host: provisioned as it always was.
            return Optional.empty();
        }
        String held = hostId + "/" + versionId;
        Long seenUntil = seenHeld.get(held);
        if (seenUntil != null && seenUntil - System.nanoTime() > 0) {
            return Optional.empty();
        }
        HostDriver target = hosts.forHost(hostId);
        ReentrantLock lock = locks.computeIfAbsent(held, key -> new ReentrantLock());
        lock.lock();
        try {
            if (target.images().has(stored.key(), stored.seq())) {
                // Not recorded: a host that has a version it was not sent may have built it itself (a
                // built-in, built by every host), and recording that would pull every instance of it there.
                seenHeld.put(held, System.nanoTime() + SEEN_HELD_FOR.toNanos());
                return Optional.empty();
            }
            seenHeld.remove(held);
            return Optional.of(copy(stored, hostId, target));
        } finally {
            lock.unlock();
        }
    }

    private Copied copy(Stored stored, UUID hostId, HostDriver target) throws Exception {
        String what = "version " + stored.label() + " of image " + stored.imageName();
        String targetName = QuarkusTransaction.joiningExisting().call(() -> em.find(Host.class, hostId)).name;
        Map.Entry<Host, HostDriver> source = source(stored, hostId).orElseThrow(() -> new IllegalStateException(
                what + " cannot reach host " + targetName + ": no host that holds it answers"));
        ImageStore from = source.getValue().images();
        ImageStore to = target.images();
        int base = base(stored, targetName, from.versions(stored.key()), to.versions(stored.key()));
        try (InputStream stream = from.sendVersion(stored.key(), stored.seq(), base)) {
            to.receiveVersion(stored.key(), stored.seq(), stream);
        } catch (Exception e) {
            throw new IllegalStateException("copying " + what + " from host " + source.getKey().name + " failed: "
                    + e.getMessage(), e);
        }
        // zfs receive keeps the snapshot's guid: the copy is the sender's version when they agree.
        String sent = from.versionGuid(stored.key(), stored.seq());
        String received = to.versionGuid(stored.key(), stored.seq());
        if (!sent.equals(received)) {
            to.destroyVersion(stored.key(), stored.seq());
            throw new IllegalStateException("the copy of " + what + " from host " + source.getKey().name
                    + " is not the same snapshot (guid " + received + ", not " + sent + "); it was removed");
        }
        record(stored.versionId(), hostId);
        record(stored.versionId(), source.getKey().id);
        LOG.infof("copied %s from host %s (%s)", what, source.getKey().name,
                base == 0 ? "whole" : "what it adds to version " + base);
        return new Copied(source.getKey().id, source.getKey().name, sent);
    }

    /**
     * The version to send the difference from: 0 (the whole version) when the host has none of the
     * image, else its newest one, which must be older than the version and held by the sender too.
     */
    private static int base(Stored stored, String targetName, List<Integer> sender, List<Integer> receiver) {
        if (receiver.isEmpty()) {
            return 0;
        }
        int newest = receiver.get(receiver.size() - 1);
        if (newest > stored.seq() || !sender.contains(newest)) {
            throw new IllegalStateException("version " + stored.label() + " of image " + stored.imageName()
                    + " cannot be added on host " + targetName + ": the newest version it holds (" + newest + ") is "
                    + (newest > stored.seq() ? "later" : "not held by the sending host"));
        }
        return newest;
    }

    /** A host this replica reaches that holds the version: the recorded holders, then the image host. */
    private Optional<Map.Entry<Host, HostDriver>> source(Stored stored, UUID exclude) {
        Set<UUID> candidates = new LinkedHashSet<>(holders(stored.versionId()));
        hosts.imageHostId().ifPresent(candidates::add);
        candidates.remove(exclude);
        Map<UUID, HostDriver> reachable = hosts.reachable();
        for (UUID candidate : candidates) {
            HostDriver driver = reachable.get(candidate);
            if (driver == null) {
                continue;
            }
            try {
                if (driver.images().has(stored.key(), stored.seq())) {
                    Host host = QuarkusTransaction.joiningExisting().call(() -> em.find(Host.class, candidate));
                    return Optional.of(Map.entry(host, driver));
                }
            } catch (RuntimeException e) {
                LOG.debugf("host %s cannot send version %d of %s: %s", candidate, stored.seq(), stored.key(),
                        e.getMessage());
            }
        }
        return Optional.empty();
    }

    /** The hosts recorded as holding a version. */
    public Set<UUID> holders(UUID versionId) {
        List<?> rows = QuarkusTransaction.joiningExisting().call(() -> em.createNativeQuery(
                        "select host_id from image_version_hosts where version_id = :version")
                .setParameter("version", versionId).getResultList());
        Set<UUID> holders = new LinkedHashSet<>();
        rows.forEach(row -> holders.add((UUID) row));
        return holders;
    }

    /** Records that a host holds a version; nothing when it is recorded already. */
    public void record(UUID versionId, UUID hostId) {
        QuarkusTransaction.joiningExisting().run(() -> em.createNativeQuery(
                        "insert into image_version_hosts (version_id, host_id) select :version, :host"
                                + " where exists (select 1 from image_versions where id = :version)"
                                + " on conflict do nothing")
                .setParameter("version", versionId).setParameter("host", hostId).executeUpdate());
    }

    /**
     * Destroys a version the catalog deleted on every host that holds it and this replica reaches,
     * and forgets each host it is gone from. A host that cannot destroy it now (unreachable, or a
     * clone still uses it) keeps its record, and {@link #sweep} tries again.
     */
    public void destroyDeleted(UUID versionId) {
        Stored stored = QuarkusTransaction.requiringNew().call(() -> {
            ImageVersion version = em.find(ImageVersion.class, versionId);
            return version == null || version.deletedAt == null ? null : stored(versionId);
        });
        if (stored == null) {
            return;  // only a version the database says is deleted is destroyed
        }
        Set<UUID> on = holders(versionId);
        hosts.imageHostId().ifPresent(on::add);
        Map<UUID, HostDriver> reachable = hosts.reachable();
        for (UUID hostId : on) {
            HostDriver driver = reachable.get(hostId);
            if (driver == null) {
                continue;
            }
            try {
                seenHeld.remove(hostId + "/" + versionId);
                driver.images().destroyVersion(stored.key(), stored.seq());
                QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery(
                                "delete from image_version_hosts where version_id = :version and host_id = :host")
                        .setParameter("version", versionId).setParameter("host", hostId).executeUpdate());
            } catch (RuntimeException e) {
                LOG.warnf("could not destroy version %s of image %s on host %s: %s", stored.label(),
                        stored.imageName(), hostId, e.getMessage());
            }
        }
    }

    /** Destroys, on the hosts that still hold them, deleted versions whose destruction did not finish. */
    @Scheduled(every = "${multiplicity.images.copy-sweep:60s}", delayed = "30s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void sweep() {
        List<?> deleted = QuarkusTransaction.requiringNew().call(() -> em.createNativeQuery(
                        "select distinct h.version_id from image_version_hosts h join image_versions v"
                                + " on v.id = h.version_id where v.deleted_at is not null")
                .getResultList());
        for (Object row : new ArrayList<>(deleted)) {
            UUID versionId = (UUID) row;
            try {
                destroyDeleted(versionId);
            } catch (RuntimeException e) {
                LOG.warnf("could not destroy deleted image version %s: %s", versionId, e.getMessage());
            }
        }
    }

    private Stored stored(UUID versionId) {
        Stored known = storedVersions.get(versionId);
        if (known != null) {
            return known;
        }
        ImageVersion version = em.find(ImageVersion.class, versionId);
        if (version == null) {
            return null;
        }
        Image image = em.find(Image.class, version.imageId);
        Stored stored = new Stored(version.id, image.name, image.storageKey, version.seq, version.version);
        if (storedVersions.size() < 10_000) {
            storedVersions.put(versionId, stored);
        }
        return stored;
    }
}

package io.multiplicity.agent.jail;

import io.multiplicity.agent.storage.WarmClone;
import io.multiplicity.agent.storage.ZfsStorage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.ToIntFunction;
import org.jboss.logging.Logger;

/**
 * Clones of jail images made ahead of demand, so that provisioning a jail takes a ready dataset
 * instead of waiting for {@code zfs clone} and for the shift of its files' owners (on zfs-fuse a
 * clone alone costs several times a whole {@code runc run}), the way production panels keep a pool
 * of ready volumes.
 *
 * <p>For every image version jails were provisioned from, the pool keeps {@code size} clones ready
 * (with the disk size last asked for), each already shifted into a user-namespace id range of its
 * own, taken from the host's {@link JailIdRanges} like a jail's. One background thread makes them
 * again as jails take them. A clone a jail takes stays where it is: the storage resolves the
 * jail's dataset to it from then on ({@link ZfsStorage#adoptWarm}); renaming it into place would
 * cost as much as the clone (and zfs-fuse refuses a rename while the dataset is busy).
 *
 * <p>The clones are the provider's: on the pool, in no tenant's quota, never listed as instances
 * (the reconciler does not see them). After a restart of the agent the clones found on the pool are
 * offered again once the shift of their owners is finished (it is idempotent); a retired image
 * version's clones are destroyed with it ({@link ZfsStorage#destroyWarmClones}).
 */
final class JailWarmPool implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(JailWarmPool.class);

    /** A clone ready to be taken, mounted at {@code root}. */
    record Ready(WarmClone made, Path root) {
    }

    private record Version(String image, int version) {
    }

    private final ZfsStorage storage;
    private final int size;
    private final JailIdRanges ranges;
    private final ToIntFunction<String> imageIdBase;
    private final Map<Version, Deque<Ready>> ready = new HashMap<>();
    /** Image versions kept full, with the disk size (GiB) their clones are made with. */
    private final Map<Version, Integer> wanted = new HashMap<>();
    private final ExecutorService filler = Executors.newSingleThreadExecutor(task -> Thread.ofPlatform().daemon()
            .name("jail-warm-pool").unstarted(task));
    private boolean closed;
    /**
     * Jails being started (or provisioned just before their start), with when that began: the pool
     * makes no clone while there is one, so that its clone and its shift of the files' owners do
     * not take the CPU from the start they are there to speed up. One that lasts beyond
     * {@link #START_LIMIT} (a jail provisioned and never started) holds nothing back.
     */
    private final Map<UUID, Long> starting = new HashMap<>();
    private static final long START_LIMIT = Duration.ofSeconds(10).toNanos();
    /** The version a clone is being made of, null between clones. */
    private Version making;

    /**
     * @param size        clones kept ready per image version; 0 keeps none
     * @param imageIdBase the id base an image's files are shifted into (-1: not shifted)
     */
    JailWarmPool(ZfsStorage storage, int size, JailIdRanges ranges, ToIntFunction<String> imageIdBase) {
        this.storage = storage;
        this.size = Math.max(0, size);
        this.ranges = ranges;
        this.imageIdBase = imageIdBase;
        storage.onWarmClonesRetiring(this::retire);
        storage.onWarmClonesDestroyed(this::forget);
    }

    /**
     * Offers again the clones an earlier run of the agent made (not those jails took): each whose
     * id range no jail holds is finished in the background and offered; the others are destroyed.
     */
    void offerFound(Collection<WarmClone> found) {
        for (WarmClone clone : found) {
            filler.execute(() -> {
                synchronized (this) {
                    if (closed) {
                        return;
                    }
                }
                if (clone.idBase() >= 0 && !ranges.claim(clone.idBase())) {
                    LOG.warnf("destroying clone made ahead %s: a jail holds its id range", clone.dataset());
                    storage.destroyWarm(clone);
                    return;
                }
                try {
                    Path root = storage.warmMountpoint(clone);
                    finishShift(clone, root);
                    synchronized (this) {
                        Version version = new Version(clone.image(), clone.version());
                        wanted.putIfAbsent(version, clone.diskGiB());
                        ready.computeIfAbsent(version, key -> new ArrayDeque<>()).add(new Ready(clone, root));
                        notifyAll();
                    }
                } catch (RuntimeException e) {
                    LOG.warnf("destroying clone made ahead %s: %s", clone.dataset(), e.getMessage());
                    discard(clone);
                }
            });
        }
    }

    /**
     * Takes a ready clone of {@code image@v<version>}, empty when none is ready (the caller clones
     * as before), and has one made again. Remembers that jails of this version are asked for, with
     * this disk size.
     */
    synchronized Optional<Ready> take(UUID jail, String image, int version, int diskGiB) {
        if (size == 0 || closed) {
            return Optional.empty();
        }
        starting(jail);
        Version key = new Version(image, version);
        wanted.put(key, diskGiB);
        Deque<Ready> clones = ready.get(key);
        Ready taken = clones == null ? null : clones.poll();
        filler.execute(this::fill);
        return Optional.ofNullable(taken);
    }

    /**
     * Waits until {@code size} clones of the version are ready; false when the time ran out first,
     * or at once when no jail of the version was asked for yet (none is made of it).
     */
    synchronized boolean awaitReady(String image, int version, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Version key = new Version(image, version);
        while (ready.getOrDefault(key, new ArrayDeque<>()).size() < size) {
            if (!wanted.containsKey(key)) {
                return false;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return true;
    }

    /** A jail's start begins: no clone is begun until it has ended. */
    synchronized void starting(UUID jail) {
        starting.put(jail, System.nanoTime());
    }

    /** A jail's start has ended (or the jail is gone). */
    synchronized void started(UUID jail) {
        if (starting.remove(jail) != null) {
            notifyAll();
        }
    }

    /** Waits while a jail is being started; false once the pool is closed. */
    private synchronized boolean awaitNoStart() {
        while (!closed) {
            long now = System.nanoTime();
            long latest = starting.values().stream().filter(began -> now - began < START_LIMIT)
                    .mapToLong(Long::longValue).max().orElse(Long.MIN_VALUE);
            if (latest == Long.MIN_VALUE) {
                return true;
            }
            try {
                wait(Math.max(1, (latest + START_LIMIT - now) / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    /** The clones ready now, for every version. */
    synchronized List<WarmClone> readyClones() {
        return ready.values().stream().flatMap(Deque::stream).map(Ready::made).toList();
    }

    /** Makes clones until every wanted version has {@code size} ready. */
    private void fill() {
        while (awaitNoStart()) {
            Version version;
            int diskGiB;
            synchronized (this) {
                if (closed) {
                    return;
                }
                Optional<Map.Entry<Version, Integer>> lacking = wanted.entrySet().stream()
                        .filter(entry -> ready.getOrDefault(entry.getKey(), new ArrayDeque<>()).size() < size)
                        .findFirst();
                if (lacking.isEmpty()) {
                    return;
                }
                version = lacking.get().getKey();
                diskGiB = lacking.get().getValue();
                making = version;
            }
            Optional<Ready> made = make(version, diskGiB);
            synchronized (this) {
                try {
                    if (made.isEmpty()) {
                        wanted.remove(version);
                        continue;
                    }
                    if (closed || !wanted.containsKey(version)) {
                        discard(made.get().made());
                        continue;
                    }
                    ready.computeIfAbsent(version, key -> new ArrayDeque<>()).add(made.get());
                } finally {
                    making = null;
                    notifyAll();
                }
            }
        }
    }

    /**
     * An image version is being retired: no clone is made of it any more, and this returns once
     * the one being made of it, if any, is finished and discarded, so that the storage destroys
     * clones nobody is working in.
     */
    private synchronized void retire(String image, Integer version) {
        Version retired = new Version(image, version);
        wanted.remove(retired);
        while (retired.equals(making)) {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** One clone of the version, shifted into a range of its own; empty (and nothing left) when it cannot be made. */
    private Optional<Ready> make(Version version, int diskGiB) {
        int base = imageIdBase.applyAsInt(version.image()) >= 0 ? ranges.take() : -1;
        WarmClone clone = null;
        try {
            clone = storage.cloneWarm(version.image(), version.version(), base, diskGiB);
            Path root = storage.warmMountpoint(clone);
            finishShift(clone, root);
            return Optional.of(new Ready(clone, root));
        } catch (RuntimeException e) {
            LOG.warnf("cannot make a clone of %s@v%d ahead: %s", version.image(), version.version(), e.getMessage());
            if (clone != null) {
                discard(clone);
            } else if (base >= 0) {
                ranges.release(base);
            }
            return Optional.empty();
        }
    }

    /** Moves the clone's files from the image's range into the clone's own (finishing an interrupted move). */
    private void finishShift(WarmClone clone, Path root) {
        int from = imageIdBase.applyAsInt(clone.image());
        if (clone.idBase() >= 0 && from >= 0) {
            int current = IdShift.rangeOf(root);
            IdShift.reshift(root, current >= 0 ? current : from, clone.idBase());
        }
    }

    private void discard(WarmClone clone) {
        try {
            storage.destroyWarm(clone);
            if (clone.idBase() >= 0) {
                ranges.release(clone.idBase());
            }
        } catch (RuntimeException e) {
            LOG.warnf("cannot destroy clone made ahead %s: %s", clone.dataset(), e.getMessage());
        }
    }

    /** The storage destroyed these clones (their image version is retired): forget them, free their ranges. */
    private synchronized void forget(List<WarmClone> destroyed) {
        for (WarmClone clone : destroyed) {
            Version version = new Version(clone.image(), clone.version());
            wanted.remove(version);
            Deque<Ready> clones = ready.get(version);
            if (clones != null && clones.removeIf(each -> each.made().equals(clone)) && clone.idBase() >= 0) {
                ranges.release(clone.idBase());
            }
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        // The clone being made is finished (and kept for the next run), never cut off half-way.
        filler.shutdown();
        try {
            if (!filler.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS)) {
                LOG.warn("the pool of clones made ahead did not stop within 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package io.multiplicity.agent.vm;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Notices, within half a second, a VM whose monitor died while the VM should run, and applies the
 * restart policy (a guest that powered itself off did not crash: it is recorded as stopped): {@code never} (it stays crashed) or {@code on-crash} (it is started again after a
 * second, unless it crashed {@link #RESTART_LIMIT} times within {@link #RESTART_WINDOW}: a crash
 * loop is left crashed).
 */
final class CrashWatcher implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(CrashWatcher.class);
    static final List<String> POLICIES = List.of("never", "on-crash");
    private static final Duration PERIOD = Duration.ofMillis(500);
    private static final Duration RESTART_DELAY = Duration.ofSeconds(1);
    /** The restart policy gives up on a VM that crashed this often within {@link #RESTART_WINDOW}. */
    private static final int RESTART_LIMIT = 5;
    private static final Duration RESTART_WINDOW = Duration.ofMinutes(5);

    /** What the watcher asks of the VMs it watches. */
    interface Watched {

        /** Whether the driver still has the VM. */
        boolean knows(UUID id);

        /**
         * When the VM should run and its monitor ended because its guest powered off, records it
         * as stopped (not crashed: no restart policy applies) and returns true.
         */
        boolean settlePowerOff(UUID id);

        /** Why the VM counts as crashed (it should run and its monitor is gone), or null when it does not. */
        String crash(UUID id);

        /** Starts a crashed VM again; throws when it cannot. */
        void restartAfterCrash(UUID id);
    }

    private final Watched vms;
    private final Set<UUID> watched = ConcurrentHashMap.newKeySet();
    private final Map<UUID, Deque<Long>> recentRestarts = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer;
    private volatile String policy;

    CrashWatcher(Watched vms, String policy) {
        this.vms = vms;
        policy(policy);
        this.timer = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "vm-watcher");
            thread.setDaemon(true);
            return thread;
        });
        timer.scheduleWithFixedDelay(this::pass, PERIOD.toMillis(), PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    }

    String policy() {
        return policy;
    }

    /** {@code never} or {@code on-crash}; changes apply to crashes noticed from now on. */
    void policy(String policy) {
        if (!POLICIES.contains(policy)) {
            throw new IllegalArgumentException("restart policy must be never or on-crash: " + policy);
        }
        this.policy = policy;
    }

    void watch(UUID id) {
        watched.add(id);
    }

    void unwatch(UUID id) {
        watched.remove(id);
    }

    /** Forgets the VM entirely (it was destroyed). */
    void forget(UUID id) {
        watched.remove(id);
        recentRestarts.remove(id);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }

    private void pass() {
        for (UUID id : List.copyOf(watched)) {
            try {
                check(id);
            } catch (RuntimeException e) {
                LOG.warnf("watching VM %s: %s", id, e.getMessage());
            }
        }
    }

    private void check(UUID id) {
        if (!vms.knows(id)) {
            watched.remove(id);
            return;
        }
        if (vms.settlePowerOff(id)) {
            watched.remove(id);
            return;
        }
        String crash = vms.crash(id);
        if (crash == null) {
            return;
        }
        watched.remove(id);
        LOG.warnf("VM %s crashed: %s", id, crash);
        if (!"on-crash".equals(policy)) {
            return;
        }
        Deque<Long> recent = recentRestarts.computeIfAbsent(id, key -> new ArrayDeque<>());
        long now = System.nanoTime();
        while (!recent.isEmpty() && now - recent.peekFirst() > RESTART_WINDOW.toNanos()) {
            recent.removeFirst();
        }
        if (recent.size() >= RESTART_LIMIT) {
            LOG.errorf("VM %s crashed %d times within %s: not restarting it again", id, recent.size(), RESTART_WINDOW);
            return;
        }
        recent.addLast(now);
        timer.schedule(() -> restart(id), RESTART_DELAY.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void restart(UUID id) {
        try {
            vms.restartAfterCrash(id);
        } catch (RuntimeException e) {
            LOG.errorf("VM %s could not be restarted after a crash: %s", id, e.getMessage());
            watched.add(id);
        }
    }
}

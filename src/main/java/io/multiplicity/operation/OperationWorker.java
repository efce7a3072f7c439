package io.multiplicity.operation;

import io.micrometer.core.instrument.MeterRegistry;
import io.multiplicity.common.Clock;
import io.multiplicity.common.SqlInstants;
import io.multiplicity.event.EventService;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Runs operations. Claims runnable ones with {@code FOR UPDATE SKIP LOCKED}, so any number of
 * control-plane replicas share the work without running one twice, holds a renewed lease on each,
 * and takes over operations whose worker stopped renewing (see {@link Operation}).
 */
@ApplicationScoped
public class OperationWorker {

    private static final Logger LOG = Logger.getLogger(OperationWorker.class);

    @Inject
    OperationsConfig config;

    @Inject
    EntityManager em;

    @Inject
    EventService events;

    @Inject
    @Any
    Instance<OperationHandler> handlerBeans;

    @Inject
    MeterRegistry meters;

    @Inject
    OperationReach reach;

    private final String workerId = workerName();
    private final Map<String, OperationHandler> handlers = new ConcurrentHashMap<>();
    private final Set<UUID> running = ConcurrentHashMap.newKeySet();
    /** The operations this worker runs, by id: their progress held back is written at lease renewal. */
    private final Map<UUID, Context> contexts = new ConcurrentHashMap<>();
    private final AtomicBoolean polling = new AtomicBoolean();
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final AtomicBoolean wakeQueued = new AtomicBoolean();
    /**
     * A poll found every slot taken: the next operation to end looks for work again. Otherwise an
     * ending operation does not: new work wakes the worker itself (and the scheduled poll remains).
     */
    private final AtomicBoolean slotsWereFull = new AtomicBoolean();
    private Semaphore slots;
    private ExecutorService executor;
    /**
     * Looks for work on a platform thread of its own: a poll that held {@code polling} while its
     * virtual thread waited for a carrier would leave every later poll returning at once.
     */
    private ExecutorService poller;

    /**
     * An operation this worker claimed. {@code epoch} is the fencing token of the claim: every claim
     * raises the operation's {@code lease_epoch}, and every write of the outcome checks it under the
     * row's lock, so a worker whose lease another worker took over writes nothing.
     */
    private record Claimed(UUID id, String kind, UUID tenantId, UUID targetId, Map<String, Object> input,
                           int attempt, long epoch, String cancelledReason, String failedReason) {
    }

    void onStart(@Observes StartupEvent event) {
        for (OperationHandler handler : handlerBeans) {
            handlers.put(handler.kind(), handler);
        }
        slots = new Semaphore(config.concurrency());
        executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("operation-", 0).factory());
        poller = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("operation-poll").daemon().factory());
        LOG.infof("operation worker %s runs %s", workerId, handlers.keySet());
        wakeUp();
    }

    void onStop(@Observes ShutdownEvent event) {
        stopping.set(true);
        if (executor == null) {
            return;
        }
        executor.shutdown();
        poller.shutdown();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Whatever still runs is handed over at once rather than when the lease runs out.
        try {
            QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery(
                            "update operations set lease_until = now() where worker_id = ?1 and state = 'running'")
                    .setParameter(1, workerId)
                    .executeUpdate());
        } catch (RuntimeException e) {
            LOG.warn("could not release the leases of running operations", e);
        }
    }

    void wake(@Observes(during = TransactionPhase.AFTER_SUCCESS) OperationSubmitted submitted) {
        if (executor != null && !stopping.get()) {
            wakeUp();
        }
    }

    /** How long a wake-up waits for others before the worker claims: a few milliseconds of latency. */
    private static final Duration CLAIM_GATHERING = Duration.ofMillis(10);

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Asks the poller to look for work; wake-ups that come while one waits are folded into it. */
    private void wakeUp() {
        if (!wakeQueued.compareAndSet(false, true)) {
            return;
        }
        try {
            poller.execute(() -> {
                // Wake-ups that come meanwhile fold into this one: operations submitted together
                // (a burst of creates) are claimed in one transaction rather than one each.
                pause(CLAIM_GATHERING);
                wakeQueued.set(false);
                poll();
            });
        } catch (RejectedExecutionException e) {
            wakeQueued.set(false);  // stopping: nothing more is claimed
        }
    }

    @Scheduled(every = "${multiplicity.operations.poll-interval:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            delayed = "1s")
    void scheduledPoll() {
        poll();
    }

    @Scheduled(every = "${multiplicity.operations.heartbeat:5s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void renewLeases() {
        if (running.isEmpty()) {
            return;
        }
        QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery(
                        "update operations set lease_until = ?1 where worker_id = ?2 and state = 'running'")
                .setParameter(1, Clock.now().plus(config.lease()))
                .setParameter(2, workerId)
                .executeUpdate());
        for (Context context : contexts.values()) {
            try {
                context.writeHeldProgress();
            } catch (RuntimeException e) {
                LOG.debugf("could not record the progress of operation %s: %s", context.operationId(), e.getMessage());
            }
        }
    }

    /** The worker's identity in {@code operations.worker_id}. */
    public String workerId() {
        return workerId;
    }

    void poll() {
        if (stopping.get() || slots == null || !polling.compareAndSet(false, true)) {
            return;
        }
        try {
            while (!stopping.get()) {
                int free = slots.availablePermits();
                if (free == 0) {
                    slotsWereFull.set(true);
                    if (slots.availablePermits() == 0) {
                        return;  // an operation that ends after this sees the flag
                    }
                    continue;
                }
                List<Claimed> claimed = QuarkusTransaction.requiringNew().call(() -> claim(free));
                if (claimed.isEmpty()) {
                    return;
                }
                for (Claimed operation : claimed) {
                    slots.acquireUninterruptibly();
                    running.add(operation.id());
                    executor.execute(() -> execute(operation));
                }
            }
        } catch (RuntimeException e) {
            LOG.error("operation poll failed", e);
        } finally {
            polling.set(false);
        }
    }

    @SuppressWarnings("unchecked")
    private List<Claimed> claim(int limit) {
        // An operation this worker still runs is never claimed again, even when its lease ran out
        // (a heartbeat that came late under load): two runs of one handler would race each other,
        // and the clean-up of the one that lost could undo what the other did.
        // An operation on an instance is claimed only by a replica that reaches the instance's host;
        // the others leave it pending (or leased out) for one that does.
        List<UUID> ids = em.createNativeQuery("select id from operations"
                        + " where (state = 'pending' or (state = 'running' and lease_until < now()))"
                        + " and id <> all(?2)"
                        + " and (target_type <> 'instance' or not exists (select 1 from instances i"
                        + " where i.id = operations.target_id and i.host_id is not null and i.host_id <> all(?3)))"
                        + " order by created_at limit ?1 for update skip locked")
                .setParameter(1, limit)
                .setParameter(2, running.toArray(new UUID[0]))
                .setParameter(3, reach.reachableHosts().toArray(new UUID[0]))
                .getResultList();
        List<Claimed> claimed = new ArrayList<>();
        Instant now = Clock.now();
        for (UUID id : ids) {
            Operation operation = em.find(Operation.class, id);
            OperationHandler handler = handlers.get(operation.kind);
            String cancelled = null;
            String failed = null;
            if (operation.cancelRequested) {
                cancelled = OperationState.PENDING.equals(operation.state)
                        ? "cancelled on request before it started"
                        : "cancelled on request";
            } else if (handler == null) {
                failed = "no handler for operations of kind " + operation.kind;
            } else if (OperationState.RUNNING.equals(operation.state)) {
                String lost = "its worker " + operation.workerId
                        + " stopped renewing its lease (the control plane was restarted or crashed)";
                if (!handler.resumable()) {
                    failed = "interrupted: " + lost + "; operations of kind " + operation.kind + " cannot be resumed";
                } else if (operation.attempts >= config.maxAttempts()) {
                    failed = "gave up after " + operation.attempts + " attempts: " + lost;
                } else {
                    LOG.infof("resuming operation %s (%s): %s", operation.id, operation.kind, lost);
                }
            }
            // Even an operation that is to end cancelled or failed is claimed first: its clean-up
            // runs under the lease, and it ends only after the clean-up is done.
            operation.updatedAt = now;
            if (OperationState.PENDING.equals(operation.state)) {
                operation.startedAt = now;
            }
            operation.state = OperationState.RUNNING;
            operation.attempts += 1;
            operation.leaseEpoch += 1;
            operation.workerId = workerId;
            operation.leaseUntil = now.plus(config.lease());
            events.operation(operation);
            claimed.add(new Claimed(operation.id, operation.kind, operation.tenantId, operation.targetId,
                    operation.input == null ? Map.of() : new HashMap<>(operation.input), operation.attempts,
                    operation.leaseEpoch, cancelled, failed));
        }
        return claimed;
    }

    private void execute(Claimed operation) {
        OperationHandler handler = handlers.get(operation.kind());
        Context context = new Context(operation);
        contexts.put(operation.id(), context);
        try {
            if (operation.cancelledReason() != null) {
                afterFailure(operation, operation.cancelledReason());
                finish(operation, OperationState.CANCELLED, operation.cancelledReason());
            } else if (operation.failedReason() != null) {
                afterFailure(operation, operation.failedReason());
                finish(operation, OperationState.FAILED, operation.failedReason());
            } else {
                handler.run(context);
                finish(operation, OperationState.SUCCEEDED, null, context.successWrites);
            }
        } catch (OperationCancelledException e) {
            afterFailure(operation, e.getMessage());
            finish(operation, OperationState.CANCELLED, e.getMessage());
        } catch (Exception e) {
            String reason = reason(e);
            LOG.warnf("operation %s (%s) failed: %s", operation.id(), operation.kind(), reason);
            LOG.debug("operation failure", e);
            afterFailure(operation, reason);
            finish(operation, OperationState.FAILED, reason);
        } finally {
            contexts.remove(operation.id());
            running.remove(operation.id());
            slots.release();
            if (!stopping.get() && slotsWereFull.getAndSet(false)) {
                wakeUp();
            }
        }
    }

    /**
     * Writes the outcome, in one statement fenced as {@link #heldRow} is (still running, by this
     * worker, under the claim's epoch, checked under the row's lock as the update takes it); what the
     * event tells comes back from it.
     */
    private void finish(Claimed claimed, String state, String error) {
        finish(claimed, state, error, List.of());
    }

    /** As {@link #finish(Claimed, String, String)}, making the handler's success writes in the same transaction. */
    @SuppressWarnings("unchecked")
    private void finish(Claimed claimed, String state, String error, List<Runnable> successWrites) {
        QuarkusTransaction.requiringNew().run(() -> {
            Instant now = Clock.now();
            List<Object[]> rows = em.createNativeQuery("update operations set state = ?1, error = ?2,"
                            + " progress = case when ?1 = 'succeeded' then 100 else progress end,"
                            + " finished_at = ?3, updated_at = ?3, lease_until = null"
                            + " where id = ?4 and state = 'running' and worker_id = ?5 and lease_epoch = ?6"
                            + " returning tenant_id, kind, target_type, target_id, progress, created_at")
                    .setParameter(1, state)
                    .setParameter(2, error)
                    .setParameter(3, now)
                    .setParameter(4, claimed.id())
                    .setParameter(5, workerId)
                    .setParameter(6, claimed.epoch())
                    .getResultList();
            if (rows.isEmpty()) {
                LOG.warnf("operation %s was taken over by another worker; its outcome here is dropped", claimed.id());
                return;
            }
            successWrites.forEach(Runnable::run);
            Object[] row = rows.get(0);
            Operation operation = returned(claimed.id(), row);
            operation.progress = ((Number) row[4]).intValue();
            operation.state = state;
            operation.error = error;
            events.operation(operation);
            count(operation.kind, state);
            Instant created = SqlInstants.of(row[5]);
            if (created != null && !now.isBefore(created)) {
                // from the request to the outcome, as the user waits for it (queueing included)
                meters.timer("multiplicity.operations.duration", "kind", operation.kind, "state", state)
                        .record(Duration.between(created, now));
            }
        });
    }


    private void afterFailure(Claimed operation, String reason) {
        OperationHandler handler = handlers.get(operation.kind());
        if (handler == null) {
            return;
        }
        if (!stillOurs(operation)) {
            LOG.warnf("operation %s was taken over by another worker; its clean-up here is skipped", operation.id());
            return;
        }
        try {
            handler.afterFailure(new Context(operation), reason);
        } catch (RuntimeException e) {
            LOG.warnf(e, "clean-up after operation %s failed", operation.id());
        }
    }

    /** Whether this worker still holds the operation (a stale holder must not clean up after the new one). */
    private boolean stillOurs(Claimed claimed) {
        return QuarkusTransaction.requiringNew().call(() -> heldRow(claimed) != null);
    }

    /**
     * The operation's row, locked for update in the caller's transaction, when this claim still holds
     * it: still running, by this worker, under the same fencing epoch. Null when another worker took it
     * over (or it ended). The lock makes the check and the write that follows one step: a takeover
     * either committed before (and is seen here) or waits until this transaction ends.
     */
    private Operation heldRow(Claimed claimed) {
        Operation operation = em.find(Operation.class, claimed.id(), LockModeType.PESSIMISTIC_WRITE);
        if (operation == null || !OperationState.RUNNING.equals(operation.state)
                || !workerId.equals(operation.workerId) || operation.leaseEpoch != claimed.epoch()) {
            return null;
        }
        return operation;
    }

    /**
     * What an event tells of an operation, from a fenced update's {@code returning tenant_id, kind,
     * target_type, target_id, …}: an object for the event only, no session's entity.
     */
    private static Operation returned(UUID id, Object[] row) {
        Operation operation = new Operation();
        operation.id = id;
        operation.tenantId = (UUID) row[0];
        operation.kind = (String) row[1];
        operation.targetType = (String) row[2];
        operation.targetId = (UUID) row[3];
        return operation;
    }

    private void count(String kind, String state) {
        meters.counter("multiplicity.operations.finished", "kind", kind, "state", state).increment();
    }

    private static String reason(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && (cause.getMessage() == null || cause.getMessage().isBlank())) {
            cause = cause.getCause();
        }
        String message = cause.getMessage();
        if (message == null || message.isBlank()) {
            message = cause.getClass().getSimpleName();
        }
        return message.length() > 1900 ? message.substring(0, 1900) + "…" : message;
    }

    private static String workerName() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "unknown";
        }
        return (host + ":" + ProcessHandle.current().pid() + ":" + UUID.randomUUID().toString().substring(0, 8));
    }

    private final class Context implements OperationContext {

        private final Claimed operation;
        private final long startedNanos = System.nanoTime();
        /** When (System.nanoTime()) the cancel request was last read as not made: the claim read it. */
        private volatile long cancelReadNanos = startedNanos;
        /** What the handler asked to write with its success ({@link #onSuccess}). */
        private final List<Runnable> successWrites = new java.util.concurrent.CopyOnWriteArrayList<>();
        /** Progress reported but not yet written (see {@link OperationsConfig#progressDelay()}); -1 for none. */
        private final java.util.concurrent.atomic.AtomicInteger heldProgress = new java.util.concurrent.atomic.AtomicInteger(-1);

        Context(Claimed operation) {
            this.operation = operation;
        }

        private boolean young() {
            return System.nanoTime() - startedNanos < config.progressDelay().toNanos();
        }

        /** Writes the progress held back, once the operation is no longer young. */
        void writeHeldProgress() {
            if (young()) {
                return;
            }
            int held = heldProgress.getAndSet(-1);
            if (held >= 0) {
                progressOnly(held);
            }
        }

        @Override
        public UUID operationId() {
            return operation.id();
        }

        @Override
        public UUID tenantId() {
            return operation.tenantId();
        }

        @Override
        public UUID targetId() {
            return operation.targetId();
        }

        @Override
        public Map<String, Object> input() {
            return operation.input();
        }

        @Override
        public int attempt() {
            return operation.attempt();
        }

        @Override
        public void progress(int percent) {
            progress(percent, null);
        }

        @Override
        public void progress(int percent, Map<String, Object> detail) {
            int bounded = Math.max(0, Math.min(100, percent));
            if (detail == null) {
                if (young()) {
                    heldProgress.set(bounded);
                    return;
                }
                heldProgress.set(-1);
                progressOnly(bounded);
                return;
            }
            heldProgress.set(-1);
            QuarkusTransaction.requiringNew().run(() -> {
                Operation row = heldRow(operation);
                if (row != null) {
                    row.progress = bounded;
                    row.progressDetail = detail;
                    row.updatedAt = Clock.now();
                    events.operation(row);
                }
            });
        }

        /**
         * The progress alone, in one statement: the update's condition is {@link #heldRow}'s, checked
         * under the row's lock as the update takes it, and what the event tells comes back from it,
         * instead of loading the whole row (its input and detail) to change one number.
         */
        @SuppressWarnings("unchecked")
        private void progressOnly(int percent) {
            QuarkusTransaction.requiringNew().run(() -> {
                List<Object[]> rows = em.createNativeQuery("update operations set progress = ?1, updated_at = ?2"
                                + " where id = ?3 and state = 'running' and worker_id = ?4 and lease_epoch = ?5"
                                + " returning tenant_id, kind, target_type, target_id, state, error")
                        .setParameter(1, percent)
                        .setParameter(2, Clock.now())
                        .setParameter(3, operation.id())
                        .setParameter(4, workerId)
                        .setParameter(5, operation.epoch())
                        .getResultList();
                for (Object[] row : rows) {
                    Operation held = returned(operation.id(), row);
                    held.state = (String) row[4];
                    held.error = (String) row[5];
                    held.progress = percent;
                    events.operation(held);
                }
            });
        }

        @Override
        public void checkCancelled() {
            if (System.nanoTime() - cancelReadNanos < config.cancelCheckInterval().toNanos()) {
                return;
            }
            long reading = System.nanoTime();
            Boolean requested = QuarkusTransaction.requiringNew().call(() -> (Boolean) em.createNativeQuery(
                            "select cancel_requested from operations where id = ?1")
                    .setParameter(1, operation.id())
                    .getSingleResult());
            if (Boolean.TRUE.equals(requested)) {
                throw new OperationCancelledException();
            }
            cancelReadNanos = reading;
        }

        @Override
        public void onSuccess(Runnable write) {
            successWrites.add(write);
        }
    }
}

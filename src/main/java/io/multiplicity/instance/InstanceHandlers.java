package io.multiplicity.instance;

import io.multiplicity.host.contract.InstanceSpec;
import io.multiplicity.host.contract.InstanceStatus;
import io.multiplicity.host.contract.ReceivedInstance;
import io.multiplicity.operation.OperationContext;
import io.multiplicity.operation.OperationHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The lifecycle operations of instances. Every handler is idempotent (the host contract is), so
 * an operation interrupted by a crash is resumed from its start.
 */
public final class InstanceHandlers {

    private InstanceHandlers() {
    }

    abstract static class Base implements OperationHandler {

        @Inject
        InstanceRuntime runtime;

        @Inject
        Event<InstanceRunState> runState;

        @Inject
        io.multiplicity.catalog.ImageCopies copies;

        @Override
        public boolean resumable() {
            return true;
        }

        @Override
        public void afterFailure(OperationContext context, String reason) {
            InstanceRuntime.Target target = runtime.load(context.targetId());
            InstanceStatus status;
            try {
                status = target.driver().status(context.targetId());
            } catch (RuntimeException e) {
                runtime.state(context.targetId(), InstanceState.ERROR, reason);
                return;
            }
            runtime.state(context.targetId(), InstanceRuntime.stateOf(status), reason);
        }

        /**
         * Makes sure the instance's host holds its image version, copied there from a host that holds
         * it when it lacks it; the operation's progress then names where it came from.
         */
        void imageOnHost(OperationContext context, InstanceRuntime.Target target, int percent) throws Exception {
            if (target.instance().imageVersionId == null) {
                return;
            }
            copies.ensureOn(target.instance().hostId, target.instance().imageVersionId).ifPresent(copied ->
                    context.progress(percent, Map.of("imageCopiedFrom", copied.fromName(), "imageGuid", copied.guid())));
            context.checkCancelled();
        }

        /** Starts the instance: the last step of every operation that calls it. */
        void start(OperationContext context, InstanceRuntime.Target target) {
            runtime.state(context.targetId(), InstanceState.STARTING, null);
            InstanceStatus status = target.driver().start(target.spec());
            if (status.state() != InstanceStatus.State.RUNNING) {
                runtime.state(context.targetId(), InstanceRuntime.stateOf(status), status.detail());
                throw new IllegalStateException("instance did not start: " + status.state()
                        + (status.detail() == null ? "" : " (" + status.detail() + ")"));
            }
            // "running" commits with the operation's success, in one transaction: the two are one fact
            context.onSuccess(() -> runtime.stateInTransaction(context.targetId(), InstanceState.RUNNING,
                    status.detail()));
            runState.fire(InstanceRunState.running(context.targetId()));
        }

        void stop(OperationContext context, InstanceRuntime.Target target, Duration timeout) {
            runtime.state(context.targetId(), InstanceState.STOPPING, null);
            runState.fire(InstanceRunState.stopping(context.targetId()));
            InstanceStatus status = target.driver().stop(context.targetId(), timeout);
            runtime.state(context.targetId(), status.state() == InstanceStatus.State.ABSENT
                    ? InstanceState.STOPPED : InstanceRuntime.stateOf(status), null);
        }
    }

    @ApplicationScoped
    public static class Create extends Base {

        @Override
        public String kind() {
            return InstanceService.CREATE;
        }

        @Override
        public void run(OperationContext context) throws Exception {
            InstanceRuntime.Target target = runtime.load(context.targetId());
            if (target.instance().deletedAt != null) {
                throw new IllegalStateException("the instance was deleted");
            }
            context.progress(10);
            imageOnHost(context, target, 40);
            InstanceStatus status = target.driver().provision(target.spec());
            boolean starts = Boolean.TRUE.equals(context.input().get("start"));
            if (!starts) {
                runtime.state(context.targetId(), InstanceRuntime.stateOf(status), null);
            }
            // else provisioning goes straight to starting: no "stopped" written for a moment between
            context.progress(60);
            context.checkCancelled();
            if (starts) {
                start(context, target);
            }
        }

        /** A create that failed leaves nothing: the host's leftovers are removed and the instance deleted. */
        @Override
        public void afterFailure(OperationContext context, String reason) {
            InstanceRuntime.Target target = runtime.load(context.targetId());
            try {
                target.driver().destroy(context.targetId());
            } catch (RuntimeException e) {
                runtime.state(context.targetId(), InstanceState.ERROR, reason + "; clean-up failed: " + e.getMessage());
                return;
            }
            runtime.update(context.targetId(), instance -> {
                instance.actualState = InstanceState.DELETED;
                instance.desiredState = "deleted";
                instance.stateDetail = "creation failed: " + reason;
                instance.deletedAt = io.multiplicity.common.Clock.now();
            });
        }
    }

    /**
     * Moves an instance to another host: (a running one is stopped first), its dataset with every
     * snapshot goes from the old host's agent through this replica to the new host's agent
     * ({@code zfs send -R | zfs receive}), the new host verifies what arrived and the database must
     * list no snapshot that did not; only then does the instance's row name the new host, and only
     * after that, read again right before, is the old host's copy destroyed. Resumed after a crash, it
     * picks up where the row says it is: before the switch everything on the new host is redone,
     * after it only the old copy's removal and the start remain.
     */
    @ApplicationScoped
    public static class Move extends Base {

        @Inject
        InstanceMoves moves;

        @Inject
        io.multiplicity.host.HostDrivers hosts;

        @Override
        public String kind() {
            return InstanceMoves.MOVE;
        }

        @Override
        public void run(OperationContext context) throws Exception {
            UUID from = UUID.fromString((String) context.input().get("from"));
            UUID to = UUID.fromString((String) context.input().get("to"));
            boolean restart = Boolean.TRUE.equals(context.input().get("restart"));
            InstanceRuntime.Target source = runtime.load(context.targetId());
            if (source.instance().deletedAt != null) {
                throw new IllegalStateException("the instance was deleted");
            }
            io.multiplicity.host.contract.HostDriver fromDriver = hosts.forHost(from);
            io.multiplicity.host.contract.HostDriver toDriver = hosts.forHost(to);
            Map<String, Object> detail = new LinkedHashMap<>();
            if (from.equals(source.instance().hostId)) {
                if (restart) {
                    stop(context, source, Duration.ofSeconds(30));
                }
                context.progress(10);
                InstanceMoves.Landing landing = moves.landing(context.targetId(), to);
                InstanceSpec spec = runtime.specOn(context.targetId(), landing.networkId(), landing.address());
                // What an earlier, interrupted attempt left on the new host is ours: the row still names the old one.
                if (toDriver.status(context.targetId()).state() != InstanceStatus.State.ABSENT) {
                    toDriver.destroy(context.targetId());
                }
                context.checkCancelled();
                ReceivedInstance received;
                try (java.io.InputStream stream = fromDriver.sendInstance(context.targetId())) {
                    received = toDriver.receiveInstance(spec, stream);
                } catch (Exception e) {
                    // The new host removes what it could not receive itself; this catches what a
                    // relay broken off on the way may have left there. The row still names the old host.
                    removeFromNewHost(context, toDriver, e);
                    throw e;
                }
                context.progress(70, Map.of("bytesReceived", received.referencedBytes(),
                        "snapshots", received.snapshots().size()));
                InstanceMoves.Landing landed;
                try {
                    landed = moves.commit(context.targetId(), from, to, landing, received.snapshots());
                } catch (RuntimeException e) {
                    if (from.equals(moves.hostOf(context.targetId()))) {
                        toDriver.destroy(context.targetId());
                    }
                    throw e;
                }
                if (!landed.address().equals(landing.address())) {
                    // Another move to this network took the address first: the new host learns the one it got.
                    toDriver.provision(runtime.specOn(context.targetId(), landed.networkId(), landed.address()));
                }
                String was = source.instance().address;
                detail.put("address", landed.address());
                if (!landed.addressKept() && was != null) {
                    detail.put("note", "the address changed from " + was + " to " + landed.address()
                            + ": the tenant's network on " + context.input().get("toName") + " is another subnet");
                }
                detail.put("snapshots", received.snapshots());
            }
            // Re-read right before destroying anything: only a row that names the new host lets the old copy go.
            if (to.equals(moves.hostOf(context.targetId()))) {
                fromDriver.destroy(context.targetId());
            } else {
                throw new IllegalStateException("the instance's row does not name " + context.input().get("toName")
                        + "; the copy on " + context.input().get("fromName") + " stays");
            }
            context.progress(90, detail);
            InstanceRuntime.Target moved = runtime.load(context.targetId());
            if (restart && "running".equals(moved.instance().desiredState)) {
                start(context, moved);
            } else {
                runtime.state(context.targetId(), InstanceRuntime.stateOf(moved.driver().status(context.targetId())), null);
            }
            context.progress(100, detail);
        }
    }

    /** Removes a failed move's arrival from the new host, best effort: the failure itself is what the operation reports. */
    private static void removeFromNewHost(OperationContext context, io.multiplicity.host.contract.HostDriver toDriver,
                                          Exception failure) {
        try {
            toDriver.destroy(context.targetId());
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    @ApplicationScoped
    public static class Start extends Base {

        @Override
        public String kind() {
            return InstanceService.START;
        }

        @Override
        public void run(OperationContext context) {
            InstanceRuntime.Target target = runtime.load(context.targetId());
            context.progress(10);
            start(context, target);
        }
    }

    @ApplicationScoped
    public static class Stop extends Base {

        @Override
        public String kind() {
            return InstanceService.STOP;
        }

        @Override
        public void run(OperationContext context) {
            InstanceRuntime.Target target = runtime.load(context.targetId());
            context.progress(10);
            stop(context, target, InstanceRuntime.stopTimeout(context.input()));
        }
    }

    @ApplicationScoped
    public static class Restart extends Base {

        @Override
        public String kind() {
            return InstanceService.RESTART;
        }

        @Override
        public void run(OperationContext context) {
            InstanceRuntime.Target target = runtime.load(context.targetId());
            context.progress(10);
            stop(context, target, InstanceRuntime.stopTimeout(context.input()));
            context.progress(50);
            context.checkCancelled();
            start(context, target);
        }
    }

    @ApplicationScoped
    public static class Resize extends Base {

        @Override
        public String kind() {
            return InstanceService.RESIZE;
        }

        @Override
        public void run(OperationContext context) {
            InstanceRuntime.Target target = runtime.load(context.targetId());
            context.progress(10);
            InstanceStatus status = target.driver().resize(target.spec());
            runtime.state(context.targetId(), InstanceRuntime.stateOf(status), status.detail());
        }
    }

    @ApplicationScoped
    public static class Snapshot extends Base {

        @Override
        public String kind() {
            return InstanceService.SNAPSHOT;
        }

        @Override
        public void run(OperationContext context) {
            InstanceRuntime.Target target = runtime.load(context.targetId());
            context.progress(10);
            target.driver().snapshot(context.targetId(), (String) context.input().get("name"));
        }

        /** A snapshot that could not be taken does not count against the quota. */
        @Override
        public void afterFailure(OperationContext context, String reason) {
            runtime.forgetSnapshot(context.targetId(), (String) context.input().get("name"));
        }
    }

    @ApplicationScoped
    public static class DeleteSnapshot extends Base {

        @Override
        public String kind() {
            return InstanceService.DELETE_SNAPSHOT;
        }

        @Override
        public void run(OperationContext context) {
            InstanceRuntime.Target target = runtime.load(context.targetId());
            context.progress(10);
            String name = (String) context.input().get("name");
            target.driver().deleteSnapshot(context.targetId(), name);
            runtime.forgetSnapshot(context.targetId(), name);
        }

        /** A snapshot that could not be destroyed is still there, and still counts. */
        @Override
        public void afterFailure(OperationContext context, String reason) {
        }
    }

    @ApplicationScoped
    public static class Rollback extends Base {

        @Override
        public String kind() {
            return InstanceService.ROLLBACK;
        }

        @Override
        public void run(OperationContext context) {
            InstanceRuntime.Target target = runtime.load(context.targetId());
            context.progress(10);
            String name = (String) context.input().get("name");
            InstanceStatus status = target.driver().rollback(target.spec(), name);
            runtime.forgetSnapshotsAfter(context.targetId(), name);
            runtime.state(context.targetId(), InstanceRuntime.stateOf(status), status.detail());
        }
    }

    /**
     * A fresh disk from the image version the instance row now names: stop, destroy the old disk
     * (and its snapshots), provision anew under the same id and address, start again if it ran.
     * Resumed from its start after a crash: every step is idempotent.
     */
    @ApplicationScoped
    public static class Rebuild extends Base {

        @Override
        public String kind() {
            return InstanceService.REBUILD;
        }

        @Override
        public void run(OperationContext context) throws Exception {
            InstanceRuntime.Target target = runtime.load(context.targetId());
            if (target.instance().deletedAt != null) {
                throw new IllegalStateException("the instance was deleted");
            }
            // Before anything is destroyed: a version that cannot reach the host leaves the old disk.
            imageOnHost(context, target, 10);
            runtime.state(context.targetId(), InstanceState.PROVISIONING, "rebuilding");
            runState.fire(InstanceRunState.stopping(context.targetId()));
            target.driver().stop(context.targetId(), InstanceRuntime.stopTimeout(context.input()));
            context.progress(20);
            target.driver().destroy(context.targetId());
            runtime.forgetSnapshotsAfter(context.targetId(), null);
            context.progress(50);
            InstanceStatus status = target.driver().provision(target.spec());
            runtime.state(context.targetId(), InstanceRuntime.stateOf(status), null);
            context.progress(80);
            if (Boolean.TRUE.equals(context.input().get("start"))) {
                start(context, target);
            }
        }
    }

    @ApplicationScoped
    public static class Delete extends Base {

        @Override
        public String kind() {
            return InstanceService.DELETE;
        }

        @Override
        public void run(OperationContext context) {
            InstanceRuntime.Target target = runtime.load(context.targetId());
            runtime.state(context.targetId(), InstanceState.DELETING, null);
            context.progress(10);
            runState.fire(InstanceRunState.stopping(context.targetId()));
            target.driver().stop(context.targetId(), InstanceRuntime.stopTimeout(context.input()));
            context.progress(40);
            target.driver().destroy(context.targetId());
            runtime.update(context.targetId(), instance -> {
                instance.actualState = InstanceState.DELETED;
                instance.stateDetail = null;
                instance.deletedAt = io.multiplicity.common.Clock.now();
            });
            runtime.forgetSnapshotsAfter(context.targetId(), null);
        }
    }
}

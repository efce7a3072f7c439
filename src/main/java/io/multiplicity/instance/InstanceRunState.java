package io.multiplicity.instance;

import java.util.UUID;

/**
 * Whether an instance runs, as its lifecycle knows it: fired (synchronously, as a CDI event) when
 * an instance has started, before it is stopped or deleted, and on every reconcile pass. Parts
 * that follow running instances (the serial console's broker) observe it; the lifecycle knows
 * none of them.
 *
 * @param instanceId the instance
 * @param running    it runs (or is about to stop, when false)
 */
public record InstanceRunState(UUID instanceId, boolean running) {

    public static InstanceRunState running(UUID instanceId) {
        return new InstanceRunState(instanceId, true);
    }

    public static InstanceRunState stopping(UUID instanceId) {
        return new InstanceRunState(instanceId, false);
    }
}

package io.multiplicity.host.contract;

import java.util.UUID;

/**
 * The actual state of an instance on its host.
 *
 * @param id     instance id
 * @param state  {@link State}
 * @param pid    process id of the instance's init or monitor on the host, 0 if none
 * @param detail human-readable detail, e.g. why it is {@code CRASHED}
 */
public record InstanceStatus(UUID id, State state, long pid, String detail) {

    public enum State {
        /** the host has nothing for this id */
        ABSENT,
        /** provisioned, not running */
        STOPPED,
        RUNNING,
        /** was running and died without being asked to stop */
        CRASHED
    }

    public static InstanceStatus absent(UUID id) {
        return new InstanceStatus(id, State.ABSENT, 0, null);
    }
}

package io.multiplicity.host.contract;

import java.util.List;
import java.util.UUID;

/**
 * What a host received of a moved instance ({@link HostDriver#receiveInstance}), read back from its
 * storage once the receive finished, for the control plane to verify before it relies on it.
 *
 * @param snapshots       the instance's snapshots as the receiving host has them, oldest first
 * @param referencedBytes bytes the received dataset refers to
 */
public record ReceivedInstance(UUID id, List<String> snapshots, long referencedBytes) {
}

package io.multiplicity.operation;

import java.util.Set;
import java.util.UUID;

/**
 * The hosts whose agents this replica reaches. The worker claims an operation on an instance only
 * when the instance's host is among them (or the instance has no host): a replica that cannot reach
 * a host leaves its operations to one that can, instead of failing them.
 */
public interface OperationReach {

    Set<UUID> reachableHosts();
}

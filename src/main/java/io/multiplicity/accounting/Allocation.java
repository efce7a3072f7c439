package io.multiplicity.accounting;

/**
 * What a tenant's live instances hold. {@code vcpus} and {@code memoryMiB} count every live
 * instance; the running-only counterparts count instances meant to run.
 */
public record Allocation(long instances, long vcpus, long memoryMiB, long diskGiB, long runningVcpus,
                         long runningMemoryMiB, long addresses, long snapshots, long snapshotGiB, long privateImages,
                         long consoleSessions) {
}

package io.multiplicity.accounting;

/**
 * What a tenant's live instances hold. {@code vcpus} and {@code memoryMiB} count every live
 * instance; the running-only counterparts count instances meant to run. {@code imageMiB} is what
 * the tenant's private image versions unpacked to, rounded up to whole MiB.
 */
public record Allocation(long instances, long vcpus, long memoryMiB, long diskGiB, long runningVcpus,
                         long runningMemoryMiB, long addresses, long snapshots, long snapshotGiB, long privateImages,
                         long imageMiB, long consoleSessions) {
}

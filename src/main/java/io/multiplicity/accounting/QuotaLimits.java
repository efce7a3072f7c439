package io.multiplicity.accounting;

/**
 * The effective limits of a tenant: its own where set, else its plan's; null means unlimited.
 *
 * @param runningOnly vCPU and memory limits count running instances only
 */
public record QuotaLimits(Long instances, Long vcpus, Long memoryMiB, Long diskGiB, Long snapshots, Long snapshotGiB,
                          Long privateImages, Long imageMiB, Long addresses, Long consoleSessions, boolean runningOnly) {

    static QuotaLimits of(Plan plan, TenantQuota own) {
        return new QuotaLimits(
                pick(own == null ? null : own.maxInstances, plan == null ? null : plan.maxInstances),
                pick(own == null ? null : own.maxVcpus, plan == null ? null : plan.maxVcpus),
                pick(own == null ? null : own.maxMemoryMiB, plan == null ? null : plan.maxMemoryMiB),
                pick(own == null ? null : own.maxDiskGiB, plan == null ? null : plan.maxDiskGiB),
                pick(own == null ? null : own.maxSnapshots, plan == null ? null : plan.maxSnapshots),
                pick(own == null ? null : own.maxSnapshotGiB, plan == null ? null : plan.maxSnapshotGiB),
                pick(own == null ? null : own.maxPrivateImages, plan == null ? null : plan.maxPrivateImages),
                pick(own == null ? null : own.maxImageMiB, plan == null ? null : plan.maxImageMiB),
                pick(own == null ? null : own.maxAddresses, plan == null ? null : plan.maxAddresses),
                pick(own == null ? null : own.maxConsoleSessions, plan == null ? null : plan.maxConsoleSessions),
                own != null && own.runningOnly != null ? own.runningOnly : plan != null && plan.runningOnly);
    }

    private static Long pick(Number own, Number plan) {
        Number value = own != null ? own : plan;
        return value == null ? null : value.longValue();
    }
}

package io.multiplicity.host;

/**
 * What one instance measurably uses, as its host reports it; a null field is not measured there.
 *
 * @param cpuSeconds    CPU time used since the instance started (cumulative)
 * @param memoryBytes   resident memory now
 * @param diskUsedBytes ZFS {@code used} of its dataset or volume
 * @param snapshotBytes ZFS {@code usedbysnapshots}
 * @param netRxBytes    bytes received (cumulative)
 * @param netTxBytes    bytes sent (cumulative)
 */
public record InstanceUsage(Double cpuSeconds, Long memoryBytes, Long diskUsedBytes, Long snapshotBytes,
                            Long netRxBytes, Long netTxBytes) {
}

package io.multiplicity.host.contract;

/**
 * Readings of one instance.
 *
 * @param diskUsedBytes       ZFS {@code used} of its dataset (with snapshots)
 * @param diskReferencedBytes ZFS {@code referenced}
 * @param snapshotBytes       ZFS {@code usedbysnapshots}
 * @param compressRatio       ZFS {@code compressratio}
 * @param memoryBytes         memory in use now, 0 when not running
 * @param cpuNanos            CPU time consumed since it started, 0 when not running
 * @param networkRxBytes      bytes the instance received since it started, 0 when not running
 * @param networkTxBytes      bytes the instance sent since it started, 0 when not running
 */
public record InstanceUsage(long diskUsedBytes, long diskReferencedBytes, long snapshotBytes, double compressRatio,
        long memoryBytes, long cpuNanos, long networkRxBytes, long networkTxBytes) {
}

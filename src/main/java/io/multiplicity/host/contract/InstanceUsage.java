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
 * @param egressBytes         bytes (IP packets, as sent) the instance sent out of the host through its
 *                            uplink, cumulative over the instance's life on this host; null where the
 *                            host does not measure it
 */
public record InstanceUsage(long diskUsedBytes, long diskReferencedBytes, long snapshotBytes, double compressRatio,
        long memoryBytes, long cpuNanos, long networkRxBytes, long networkTxBytes, Long egressBytes) {

    /** Readings without an egress measurement. */
    public InstanceUsage(long diskUsedBytes, long diskReferencedBytes, long snapshotBytes, double compressRatio,
            long memoryBytes, long cpuNanos, long networkRxBytes, long networkTxBytes) {
        this(diskUsedBytes, diskReferencedBytes, snapshotBytes, compressRatio, memoryBytes, cpuNanos, networkRxBytes,
                networkTxBytes, null);
    }
}

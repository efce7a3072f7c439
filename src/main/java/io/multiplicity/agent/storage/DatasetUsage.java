package io.multiplicity.agent.storage;

/**
 * Space readings of one dataset, for metering.
 *
 * @param usedBytes          {@code used}: space the dataset and its snapshots consume
 * @param referencedBytes    {@code referenced}: data the dataset can reach (includes shared image blocks)
 * @param snapshotBytes      {@code usedbysnapshots}: space freed if all its snapshots were destroyed
 * @param quotaBytes         {@code quota}, 0 when none
 * @param compressRatio      {@code compressratio}, e.g. 1.00
 */
public record DatasetUsage(long usedBytes, long referencedBytes, long snapshotBytes, long quotaBytes,
        double compressRatio) {
}

package io.multiplicity.host.contract;

/**
 * A host's instance storage pool as the host reads it now.
 *
 * @param sizeBytes      what the pool holds in all (used and available)
 * @param availableBytes what can still be written to it
 */
public record StorageSpace(long sizeBytes, long availableBytes) {
}

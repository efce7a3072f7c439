package io.multiplicity.accounting;

/**
 * What a request adds to a tenant's allocation. {@code vcpus} and {@code memoryMiB} are added to the
 * all-instances counters when {@code counted}, and to the running ones when {@code running}.
 */
public record Demand(long instances, long vcpus, long memoryMiB, long diskGiB, long addresses, boolean counted,
                     boolean running) {

    /** Public addresses only (each given whole to an instance, and each port forward, counts one). */
    public static Demand addresses(long addresses) {
        return new Demand(0, 0, 0, 0, addresses, false, false);
    }
}

package io.multiplicity.accounting;

/**
 * What a request adds to a tenant's allocation. {@code vcpus} and {@code memoryMiB} are added to the
 * all-instances counters when {@code counted}, and to the running ones when {@code running}.
 */
public record Demand(long instances, long vcpus, long memoryMiB, long diskGiB, long addresses, boolean counted,
                     boolean running) {
}

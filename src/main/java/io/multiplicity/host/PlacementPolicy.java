package io.multiplicity.host;

import java.util.Comparator;
import java.util.Set;
import java.util.UUID;

/** How placement orders the hosts that can hold a new instance (configured by {@code multiplicity.hosts.placement-policy}). */
public enum PlacementPolicy {

    /** The emptiest host first (the largest share of its allocatable memory free): instances spread out. */
    SPREAD,

    /** The fullest host that still holds the instance first: instances pack, whole hosts stay free. */
    PACK;

    /**
     * One host that can hold the instance.
     *
     * @param freeShare share of the host's allocatable memory still free, 0 to 1
     */
    public record Candidate(Host host, double freeShare) {
    }

    /** The order in which candidates are tried: by the policy, then by name so that equal hosts come in a stable order. */
    public Comparator<Candidate> order() {
        Comparator<Candidate> byShare = Comparator.comparingDouble(Candidate::freeShare);
        if (this == SPREAD) {
            byShare = byShare.reversed();
        }
        return byShare.thenComparing(candidate -> candidate.host().name);
    }

    /**
     * The order in which candidates are tried when some are preferred (they hold the instance's
     * image already): those first, then the others, each in {@link #order()}. A tie-breaker among
     * hosts that fit, never a reason to take one that does not.
     */
    public Comparator<Candidate> order(Set<UUID> preferred) {
        if (preferred.isEmpty()) {
            return order();
        }
        Comparator<Candidate> preferredFirst = Comparator.comparing(candidate -> !preferred.contains(candidate.host().id));
        return preferredFirst.thenComparing(order());
    }
}

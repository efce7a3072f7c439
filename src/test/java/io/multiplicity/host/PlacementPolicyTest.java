package io.multiplicity.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The order in which each policy tries the hosts that can hold an instance. */
class PlacementPolicyTest {

    private static PlacementPolicy.Candidate candidate(String name, double freeShare) {
        Host host = new Host();
        host.name = name;
        host.id = java.util.UUID.nameUUIDFromBytes(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return new PlacementPolicy.Candidate(host, freeShare);
    }

    private static List<String> order(PlacementPolicy policy, PlacementPolicy.Candidate... candidates) {
        List<PlacementPolicy.Candidate> list = new ArrayList<>(List.of(candidates));
        list.sort(policy.order());
        return list.stream().map(candidate -> candidate.host().name).toList();
    }

    @Test
    void spreadTriesTheEmptiestHostFirst() {
        assertThat(order(PlacementPolicy.SPREAD, candidate("full", 0.1), candidate("empty", 0.9), candidate("half", 0.5)))
                .containsExactly("empty", "half", "full");
    }

    @Test
    void packTriesTheFullestHostThatHoldsTheInstanceFirst() {
        assertThat(order(PlacementPolicy.PACK, candidate("full", 0.1), candidate("empty", 0.9), candidate("half", 0.5)))
                .containsExactly("full", "half", "empty");
    }

    @Test
    void equalHostsComeInTheOrderOfTheirNames() {
        assertThat(order(PlacementPolicy.SPREAD, candidate("b", 0.5), candidate("a", 0.5))).containsExactly("a", "b");
        assertThat(order(PlacementPolicy.PACK, candidate("b", 0.5), candidate("a", 0.5))).containsExactly("a", "b");
    }

    @Test
    void hostsHoldingTheImageComeFirstEachGroupInThePolicysOrder() {
        PlacementPolicy.Candidate[] candidates = {candidate("full", 0.1), candidate("empty", 0.9),
                candidate("half", 0.5), candidate("quarter", 0.25)};
        java.util.Set<java.util.UUID> holding = java.util.Set.of(candidates[0].host().id, candidates[3].host().id);
        List<PlacementPolicy.Candidate> spread = new ArrayList<>(List.of(candidates));
        spread.sort(PlacementPolicy.SPREAD.order(holding));
        assertThat(spread.stream().map(candidate -> candidate.host().name))
                .containsExactly("quarter", "full", "empty", "half");
        List<PlacementPolicy.Candidate> pack = new ArrayList<>(List.of(candidates));
        pack.sort(PlacementPolicy.PACK.order(holding));
        assertThat(pack.stream().map(candidate -> candidate.host().name))
                .containsExactly("full", "quarter", "half", "empty");
        List<PlacementPolicy.Candidate> none = new ArrayList<>(List.of(candidates));
        none.sort(PlacementPolicy.SPREAD.order(java.util.Set.of()));
        assertThat(none.stream().map(candidate -> candidate.host().name))
                .containsExactly("empty", "half", "quarter", "full");
    }
}

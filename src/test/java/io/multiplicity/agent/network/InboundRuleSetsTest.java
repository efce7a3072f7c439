package io.multiplicity.agent.network;

import static org.assertj.core.api.Assertions.assertThat;

import io.multiplicity.host.contract.PublicAccess.Protocol;
import io.multiplicity.host.contract.PublicAccess.Rule;
import java.util.List;
import org.junit.jupiter.api.Test;

class InboundRuleSetsTest {

    @Test
    void rulesBecomeSetElementsAndOverlapsStayRulesOfTheirOwn() {
        InboundRuleSets sets = new InboundRuleSets(List.of(
                new Rule(Protocol.TCP, 22, 22, "203.0.113.0/24"),
                new Rule(Protocol.TCP, 22, 22, "203.0.113.0/24"),
                new Rule(Protocol.TCP, 20, 30, "203.0.0.0/16"),
                new Rule(Protocol.TCP, 80, 80, "203.0.0.0/16"),
                new Rule(Protocol.UDP, 53, 53, "198.51.100.7/24"),
                new Rule(Protocol.ICMP, 0, 0, "0.0.0.0/0"),
                new Rule(Protocol.ANY, 0, 0, "192.0.2.1/32")));

        assertThat(sets.renderRules("rules_x")).containsExactly(
                "ip saddr 203.0.0.0/16 tcp dport 20-30 accept",
                "ip saddr . tcp dport @rules_x_tcp accept",
                "ip saddr . udp dport @rules_x_udp accept",
                "meta l4proto icmp ip saddr @rules_x_icmp accept",
                "ip saddr @rules_x_any accept");
        assertThat(sets.renderSets("rules_x"))
                .contains("elements = { 203.0.113.0/24 . 22, 203.0.0.0/16 . 80 }")
                .as("host bits cleared").contains("elements = { 198.51.100.0/24 . 53 }")
                .contains("elements = { 0.0.0.0/0 }")
                .contains("elements = { 192.0.2.1/32 }");
    }

    @Test
    void noRulesNoSetsAndNothingLetIn() {
        InboundRuleSets sets = new InboundRuleSets(List.of());
        assertThat(sets.renderRules("rules_x")).isEmpty();
        assertThat(sets.renderSets("rules_x")).isEmpty();
    }
}

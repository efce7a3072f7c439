package io.multiplicity.agent.network;

import static org.assertj.core.api.Assertions.assertThat;

import io.multiplicity.host.contract.PublicAccess.Protocol;
import io.multiplicity.host.contract.PublicAccess.Rule;
import io.multiplicity.agent.support.Command;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
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

    @Test
    void aChangeInPlaceLeavesTheKernelsSetsAsARenderingFromScratchWould() {
        List<Rule> before = new ArrayList<>();
        for (int r = 0; r < 300; r++) {
            before.add(new Rule(Protocol.TCP, 1 + r, 1 + r, "10." + (r / 250) + "." + (r % 250) + ".0/24"));
        }
        before.add(new Rule(Protocol.UDP, 53, 53, "198.51.100.0/24"));
        before.add(new Rule(Protocol.ICMP, 0, 0, "192.0.2.0/25"));
        before.add(new Rule(Protocol.ICMP, 0, 0, "192.0.2.128/25"));
        List<Rule> after = new ArrayList<>(before.subList(1, before.size()));
        after.set(10, new Rule(Protocol.TCP, 8000, 8100, "203.0.113.0/24"));
        after.add(new Rule(Protocol.UDP, 123, 123, "198.51.100.0/24"));
        after.set(after.size() - 3, new Rule(Protocol.ICMP, 0, 0, "192.0.2.0/26"));

        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String changed = "mp_sets_changed_" + suffix;
        String rendered = "mp_sets_rendered_" + suffix;
        try {
            load(changed, new InboundRuleSets(before));
            String change = new InboundRuleSets(after).renderChangeFrom(new InboundRuleSets(before), changed, "rules_x");
            assertThat(change).as("only what changed is touched").contains("delete element inet " + changed
                    + " rules_x_tcp { 10.0.0.0/24 . 1, 10.0.11.0/24 . 12 }").doesNotContain("10.0.2.0/24 . 3");
            Command.run(List.of("nft", "-f", "-"), change).check();
            load(rendered, new InboundRuleSets(after));
            for (String set : List.of("rules_x_tcp", "rules_x_udp", "rules_x_icmp")) {
                assertThat(elements(changed, set)).as(set).isEqualTo(elements(rendered, set)).isNotEmpty();
            }
        } finally {
            Command.run("nft", "delete", "table", "inet", changed);
            Command.run("nft", "delete", "table", "inet", rendered);
        }
    }

    @Test
    void aChangeThatAltersTheChainIsNotMadeInPlace() {
        List<Rule> tcpOnly = List.of(new Rule(Protocol.TCP, 22, 22, "0.0.0.0/0"));
        List<Rule> withUdp = List.of(new Rule(Protocol.TCP, 22, 22, "0.0.0.0/0"), new Rule(Protocol.UDP, 53, 53,
                "0.0.0.0/0"));
        List<Rule> overlapping = List.of(new Rule(Protocol.TCP, 22, 22, "0.0.0.0/0"), new Rule(Protocol.TCP, 20, 30,
                "10.0.0.0/8"));
        assertThat(new InboundRuleSets(withUdp).renderChangeFrom(new InboundRuleSets(tcpOnly), "t", "c"))
                .as("a set appears").isNull();
        assertThat(new InboundRuleSets(tcpOnly).renderChangeFrom(new InboundRuleSets(withUdp), "t", "c"))
                .as("a set empties").isNull();
        assertThat(new InboundRuleSets(overlapping).renderChangeFrom(new InboundRuleSets(tcpOnly), "t", "c"))
                .as("a rule of its own appears").isNull();
        assertThat(new InboundRuleSets(tcpOnly).renderChangeFrom(new InboundRuleSets(tcpOnly), "t", "c")).isEmpty();
    }

    private static void load(String table, InboundRuleSets sets) {
        Command.run(List.of("nft", "-f", "-"), "table inet " + table + " {\n" + sets.renderSets("rules_x") + "}\n")
                .check();
    }

    /** The set's elements as the kernel lists them, sorted (a set of concatenations lists them as added). */
    private static List<String> elements(String table, String set) {
        String listed = Command.check("nft", "list", "set", "inet", table, set);
        int start = listed.indexOf("elements = {");
        if (start < 0) {
            return List.of();
        }
        return java.util.Arrays.stream(listed.substring(start + "elements = {".length(), listed.indexOf('}', start))
                .split(",")).map(String::strip).sorted().toList();
    }
}

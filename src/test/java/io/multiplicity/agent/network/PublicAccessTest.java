package io.multiplicity.agent.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiplicity.agent.jail.JailDriver;
import io.multiplicity.agent.jail.JailHost;
import io.multiplicity.agent.network.TenantNetworks.Uplink;
import io.multiplicity.agent.support.Command;
import io.multiplicity.host.contract.InstanceSpec;
import io.multiplicity.host.contract.InstanceSpec.NetworkAttachment;
import io.multiplicity.host.contract.InstanceStatus.State;
import io.multiplicity.host.contract.PublicAccess;
import io.multiplicity.host.contract.PublicAccess.Exposure;
import io.multiplicity.host.contract.PublicAccess.Forward;
import io.multiplicity.host.contract.PublicAccess.Protocol;
import io.multiplicity.host.contract.PublicAccess.Rule;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Assertions;

/**
 * The way in from outside, on real jails, real nftables and a little internet of the test's own
 * ({@link TestInternet}): a customer in a {@code client} namespace reaches the jails through the
 * host's uplink by the public addresses published for them. Nothing leaves the machine.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PublicAccessTest {

    static final String PUBLIC = TestInternet.PUBLIC;
    static final String SHARED = PUBLIC + ".10";
    static final String FLOATING = PUBLIC + ".20";

    static TestInternet internet;
    static String uplink;
    static JailHost host;
    static JailDriver driver;
    static final List<InstanceSpec> jails = new ArrayList<>();
    static InstanceSpec web1;
    static InstanceSpec db1;
    static InstanceSpec stranger;
    static String tablesBefore;
    static String linksBefore;

    @BeforeAll
    static void buildTheInternetAndTheHost() throws IOException {
        String missing = JailHost.unavailableReason();
        if (missing == null) {
            missing = TenantNetworks.unavailableReason();
        }
        if (missing != null) {
            System.err.println("SKIPPED PublicAccessTest: " + missing);
        }
        Assumptions.assumeTrue(missing == null, missing);
        tablesBefore = Command.check("nft", "list", "tables");
        linksBefore = links();

        internet = new TestInternet();
        uplink = internet.uplink;

        host = new JailHost("public-net", 128).withUplink(new Uplink(uplink, List.of()));
        driver = host.start();
        web1 = jail("web1", 21, 10);
        db1 = jail("db1", 21, 11);
        stranger = jail("web1", 22, 10);
        for (InstanceSpec jail : jails) {
            run(jail, "mkdir -p /www /ssh && echo page of " + jail.name() + "." + jail.network().tenantNetwork()
                    + " > /www/index.html && echo ssh of " + jail.name() + " > /ssh/index.html"
                    + " && httpd -p 80 -h /www && httpd -p 22 -h /ssh && echo up");
        }
    }

    @AfterAll
    static void tearDown() {
        if (driver != null) {
            driver.network().tenants().publish(PublicAccess.none());
            for (InstanceSpec jail : jails) {
                driver.destroy(jail.id());
            }
        }
        if (host != null) {
            host.close();
        }
        if (internet != null) {
            internet.close();
        }
    }

    private static InstanceSpec jail(String name, int network, int address) {
        InstanceSpec spec = new InstanceSpec(UUID.randomUUID(), UUID.randomUUID(), name, "jail", "busybox", 1, 64, 1,
                new NetworkAttachment(network, "10.232." + network + "." + address, 24, "10.232." + network + ".1",
                        null, true));
        jails.add(spec);
        assertEquals(State.RUNNING, driver.start(spec).state());
        return spec;
    }

    private static String run(InstanceSpec jail, String command) {
        Command.Result result = driver.exec(jail.id(), "sh", "-c", command);
        return result.ok() ? result.stdout() : "exit " + result.exitCode() + ": " + result.stdout() + result.stderr();
    }

    private static String fromClient(String url) {
        return internet.fetch(url);
    }

    private static String links() {
        return Command.check("sh", "-c", "ip -o link show | awk -F': ' '{print $2}' | sort");
    }

    private static Exposure forwardTo(InstanceSpec jail, List<Rule> rules, Forward... forwards) {
        return new Exposure(jail.id(), jail.network().tenantNetwork(), jail.network().address(), null,
                List.of(forwards), rules);
    }

    private static Exposure addressOf(InstanceSpec jail, String publicAddress, List<Rule> rules) {
        return new Exposure(jail.id(), jail.network().tenantNetwork(), jail.network().address(), publicAddress,
                List.of(), rules);
    }

    @Test
    @Order(1)
    void aForwardAndAPublicAddressReachTheirJailsFromTheInternet() {
        assertThat(fromClient("http://" + SHARED + ":8080/")).as("nothing published yet").startsWith("failed");
        driver.network().tenants().publish(new PublicAccess(List.of(SHARED, FLOATING), List.of(
                forwardTo(web1, null, new Forward(SHARED, Protocol.TCP, 8080, 80)),
                addressOf(db1, FLOATING, null))));

        assertThat(fromClient("http://" + SHARED + ":8080/")).contains("page of web1.21");
        assertThat(fromClient("http://" + FLOATING + ":22/")).contains("ssh of db1");
        assertThat(fromClient("http://" + FLOATING + ":80/")).as("every port of a whole address").contains("page of db1");
        assertThat(fromClient("http://" + SHARED + ":80/")).as("only the forwarded port").startsWith("failed");
        assertThat(Command.check("ip", "-o", "addr", "show", "dev", uplink)).contains(SHARED + "/32")
                .contains(FLOATING + "/32");
    }

    @Test
    @Order(2)
    void aFirewallLetsInOnlyWhatItsRulesAllow() {
        List<Rule> otherNetwork = List.of(new Rule(Protocol.TCP, 22, 22, "198.18.79.0/24"));
        driver.network().tenants().publish(new PublicAccess(List.of(SHARED, FLOATING), List.of(
                forwardTo(web1, null, new Forward(SHARED, Protocol.TCP, 8080, 80)),
                addressOf(db1, FLOATING, otherNetwork))));
        assertThat(fromClient("http://" + FLOATING + ":22/")).as("not the client's network").startsWith("failed");

        List<Rule> clients = List.of(new Rule(Protocol.TCP, 20, 23, "198.18.78.0/24"));
        driver.network().tenants().publish(new PublicAccess(List.of(SHARED, FLOATING), List.of(
                forwardTo(web1, null, new Forward(SHARED, Protocol.TCP, 8080, 80)),
                addressOf(db1, FLOATING, clients))));
        assertThat(fromClient("http://" + FLOATING + ":22/")).contains("ssh of db1");
        assertThat(fromClient("http://" + FLOATING + ":80/")).as("a port no rule names").startsWith("failed");
        assertThat(fromClient("http://" + SHARED + ":8080/")).as("another instance's rules are its own")
                .contains("page of web1.21");

        // Rules that overlap (a set of intervals refuses overlapping elements, so one stays a rule of
        // its own), repeat, or name a network with host bits set still let in exactly their union.
        List<Rule> overlapping = List.of(new Rule(Protocol.TCP, 22, 22, "198.18.79.0/24"),
                new Rule(Protocol.TCP, 20, 25, "198.18.0.0/16"), new Rule(Protocol.TCP, 22, 22, "198.18.79.0/24"),
                new Rule(Protocol.ICMP, 0, 0, "198.18.79.9/24"), new Rule(Protocol.ANY, 0, 0, "198.18.79.0/24"),
                new Rule(Protocol.ANY, 0, 0, "198.18.79.128/25"));
        driver.network().tenants().publish(new PublicAccess(List.of(SHARED, FLOATING), List.of(
                forwardTo(web1, null, new Forward(SHARED, Protocol.TCP, 8080, 80)),
                addressOf(db1, FLOATING, overlapping))));
        assertThat(fromClient("http://" + FLOATING + ":22/")).as("the wider of two overlapping rules")
                .contains("ssh of db1");
        assertThat(fromClient("http://" + FLOATING + ":80/")).as("no rule names the client for port 80")
                .startsWith("failed");
    }

    @Test
    @Order(3)
    void anotherTenantReachesNeitherThePrivateNorThePublicPath() {
        assertThat(run(stranger, "timeout 4 wget -q -O - http://" + SHARED + ":8080/ || echo refused"))
                .doesNotContain("page of web1.21");
        assertThat(run(stranger, "timeout 4 wget -q -O - http://" + web1.network().address() + "/ || echo refused"))
                .doesNotContain("page of web1.21");
        assertThat(run(db1, "timeout 4 wget -q -O - http://" + web1.network().address() + "/"))
                .as("inside its own network an instance reaches the others").contains("page of web1.21");
    }

    @Test
    @Order(4)
    void aJailThatTakesAnotherAddressOrMacGetsNoTrafficThrough() {
        String peer = web1.network().address();
        assertThat(run(db1, "ping -c 1 -W 2 " + peer)).contains("1 packets received");
        try {
            run(db1, "ip addr add 10.232.21.50/24 dev eth0 && ip addr del " + db1.network().address() + "/24 dev eth0");
            assertThat(run(db1, "ping -c 1 -W 2 " + peer)).as("from an address not its own").doesNotContain("1 packets received");
        } finally {
            run(db1, "ip addr add " + db1.network().address() + "/24 dev eth0; ip addr del 10.232.21.50/24 dev eth0;"
                    + " ip route replace default via " + db1.network().gateway());
        }
        assertThat(run(db1, "ping -c 1 -W 2 " + peer)).contains("1 packets received");
        try {
            run(db1, "ip link set eth0 address 52:54:00:de:ad:01");
            assertThat(run(db1, "ping -c 1 -W 2 " + peer)).as("from a MAC not its own").doesNotContain("1 packets received");
        } finally {
            run(db1, "ip link set eth0 address " + HostNetwork.mac(db1.id()));
        }
        assertThat(run(db1, "ping -c 1 -W 2 " + peer)).contains("1 packets received");
    }

    /**
     * A firewall that filters inside: what the other members of db1's tenant network open to it
     * passes its rules, as from outside, while replies (of what db1 opens itself, and of what the
     * rules let in) pass; rule changes take effect in place; switched back to open, the network
     * reaches db1 again whatever the rules say.
     */
    @Test
    @Order(5)
    void aFirewallThatFiltersInsideLetsTheTenantsOwnNetworkInOnlyWhereItsRulesAllow() {
        String db = db1.network().address();
        String web = web1.network().address();
        Exposure forward = forwardTo(web1, null, new Forward(SHARED, Protocol.TCP, 8080, 80));
        assertThat(fetch(web1, db + ":80")).as("open inside at first")
                .contains("page of db1");

        List<Rule> sshFromWeb1 = List.of(new Rule(Protocol.TCP, 22, 22, web + "/32"));
        publishBeside(forward, filteredInside(db1, sshFromWeb1));
        assertThat(fetch(web1, db + ":22")).as("a port a rule allows")
                .contains("ssh of db1");
        assertThat(fetch(web1, db + ":80")).as("a port no rule names")
                .doesNotContain("page of db1");
        assertThat(run(web1, "ping -c 1 -W 2 " + db)).as("ICMP, which no rule names").doesNotContain("1 packets received");
        assertThat(fetch(db1, web + ":80")).as("what db1 opens itself, and its replies")
                .contains("page of web1.21");
        assertThat(fromClient("http://" + SHARED + ":8080/")).as("another instance's forward").contains("page of web1.21");

        // rules changed in place: the source must match too
        List<Rule> httpFromElsewhere = List.of(new Rule(Protocol.TCP, 80, 80, "10.232.21.99/32"),
                new Rule(Protocol.ICMP, 0, 0, web + "/32"));
        publishBeside(forward, filteredInside(db1, httpFromElsewhere));
        assertThat(fetch(web1, db + ":80")).as("a source no rule names")
                .doesNotContain("page of db1");
        assertThat(fetch(web1, db + ":22")).as("a port no rule names any more")
                .doesNotContain("ssh of db1");
        assertThat(run(web1, "ping -c 1 -W 2 " + db)).as("ICMP from web1 now").contains("1 packets received");

        // the same rules, inside open again
        publishBeside(forward, new Exposure(db1.id(), db1.network().tenantNetwork(), db, null, List.of(),
                httpFromElsewhere, false));
        assertThat(fetch(web1, db + ":80")).as("open inside again")
                .contains("page of db1");
        assertThat(Command.check("nft", "list", "chain", "inet", driver.network().tenants().table(), "out_of_tenants"))
                .as("no rule filters inside for db1 any more").doesNotContain(db);
    }

    private static void publishBeside(Exposure forward, Exposure db) {
        driver.network().tenants().publish(new PublicAccess(List.of(SHARED), List.of(forward, db)));
    }

    /** What {@code from} fetches from {@code address:port} over HTTP, or why not. */
    private static String fetch(InstanceSpec from, String addressAndPort) {
        return run(from, "timeout 4 wget -q -O - http://" + addressAndPort + "/");
    }

    private static Exposure filteredInside(InstanceSpec jail, List<Rule> rules) {
        return new Exposure(jail.id(), jail.network().tenantNetwork(), jail.network().address(), null, List.of(),
                rules, true);
    }

    @Test
    @Order(6)
    void whatAJailSendsOutIsMeteredAsTheUpstreamReceivesIt() {
        String upstream = "ip netns exec " + internet.upstream + " ";
        TestInternet.sh(upstream + "nft add table ip received",
                upstream + "nft 'add chain ip received in { type filter hook input priority 0 ; }'",
                upstream + "nft add rule ip received in ip saddr 198.18.77.1 tcp dport 9000 counter");
        TenantNetworks networks = driver.network().tenants();
        Long before = networks.egressBytes(web1.id());
        assertThat(before).as("the host meters egress").isNotNull();
        for (int round = 0; round < 2; round++) {
            Command.run("sh", "-c", "sleep 20 | " + upstream + "busybox nc -l -p 9000 > /dev/null 2>&1 &");
            Command.run("sleep", "0.3");
            assertThat(run(web1, "head -c 2500000 /dev/zero | timeout 15 nc -w 2 198.18.77.2 9000; echo sent"))
                    .contains("sent");
            // a change of the table in between: what the old table counted must not be lost
            networks.publish(new PublicAccess(List.of(SHARED), List.of(
                    forwardTo(web1, null, new Forward(SHARED, Protocol.TCP, 8000 + round, 80)))));
        }
        long metered = networks.egressBytes(web1.id()) - before;
        String counted = Command.check("sh", "-c", upstream + "nft list table ip received");
        long received = Long.parseLong(counted.replaceAll("(?s).*counter packets \\d+ bytes (\\d+).*", "$1"));
        assertThat(received).as("what the upstream received").isGreaterThan(5_000_000L);
        assertThat((double) metered).as("metered within 1% of what arrived").isCloseTo(received,
                org.assertj.core.data.Percentage.withPercentage(1));
    }

    @Test
    @Order(7)
    void unpublishingStopsBothAtOnceAndNothingIsLeftBehind() {
        driver.network().tenants().publish(new PublicAccess(List.of(), List.of()));
        assertThat(fromClient("http://" + SHARED + ":8080/")).startsWith("failed");
        assertThat(fromClient("http://" + FLOATING + ":22/")).startsWith("failed");
        assertThat(Command.check("ip", "-o", "addr", "show", "dev", uplink)).doesNotContain(SHARED)
                .doesNotContain(FLOATING);
        String table = Command.check("nft", "list", "table", "inet", driver.network().tenants().table());
        assertThat(table).as("no forward or public address left").doesNotContain(PUBLIC).doesNotContain("snat");

        for (InstanceSpec jail : List.copyOf(jails)) {
            driver.destroy(jail.id());
            jails.remove(jail);
        }
        assertEquals(tablesBefore, Command.check("nft", "list", "tables"), "the agent's tables are gone");
        List<String> extra = new ArrayList<>(links().lines().toList());
        extra.removeAll(linksBefore.lines().toList());
        extra.removeIf(link -> link.startsWith(uplink) || !host.made(link));
        Assertions.assertTrue(extra.isEmpty(), "interfaces left behind: " + extra);
    }
}

package io.multiplicity.agent.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiplicity.agent.jail.JailDriver;
import io.multiplicity.agent.jail.JailHost;
import io.multiplicity.agent.network.TenantNetworks.Uplink;
import io.multiplicity.agent.support.Command;
import io.multiplicity.agent.support.Processes;
import io.multiplicity.host.contract.InstanceSpec;
import io.multiplicity.host.contract.InstanceSpec.NetworkAttachment;
import io.multiplicity.host.contract.InstanceStatus.State;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
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

/**
 * Tenant networks on real jails, real nftables and real dnsmasq, against a little internet of the
 * test's own: an {@code upstream} network namespace behind a veth that plays the host's uplink,
 * with a DNS server answering {@code www.upstream.test} and a web server. No test traffic leaves
 * the machine: the jails' only way out is that veth, and their resolvers forward to the upstream's
 * DNS only.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TenantNetworkTest {

    static final String SUFFIX = HexFormat.of().toHexDigits((short) ThreadLocalRandom.current().nextInt());
    static final String UPSTREAM = "mpup" + SUFFIX;
    static final String UPLINK = "mpu" + SUFFIX;
    static final String UPSTREAM_ADDRESS = "198.18.77.2";
    static final String PAGE = "hello from the upstream " + SUFFIX;

    static JailHost host;
    static JailDriver driver;
    static Path upstreamFiles;
    static final List<InstanceSpec> jails = new ArrayList<>();
    static InstanceSpec web1;
    static InstanceSpec peer;
    static InstanceSpec stranger;

    @BeforeAll
    static void buildTheInternetAndTheHost() throws IOException {
        String missing = JailHost.unavailableReason();
        if (missing == null) {
            missing = TenantNetworks.unavailableReason();
        }
        if (missing != null) {
            System.err.println("SKIPPED TenantNetworkTest: " + missing);
        }
        Assumptions.assumeTrue(missing == null, missing);

        upstreamFiles = Files.createDirectories(Path.of("target", "upstream-" + SUFFIX).toAbsolutePath());
        Files.writeString(upstreamFiles.resolve("index.html"), PAGE + "\n");
        sh("ip netns add " + UPSTREAM,
                "ip link add " + UPLINK + " type veth peer name eth0 netns " + UPSTREAM,
                "ip addr add 198.18.77.1/24 dev " + UPLINK,
                "ip link set " + UPLINK + " up",
                "ip netns exec " + UPSTREAM + " ip addr add " + UPSTREAM_ADDRESS + "/24 dev eth0",
                "ip netns exec " + UPSTREAM + " ip link set eth0 up",
                "ip netns exec " + UPSTREAM + " ip link set lo up",
                "ip netns exec " + UPSTREAM + " dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces"
                        + " --listen-address=" + UPSTREAM_ADDRESS + " --local=/upstream.test/ --host-record=www.upstream.test," + UPSTREAM_ADDRESS
                        + " --pid-file=" + upstreamFiles.resolve("dnsmasq.pid"),
                "ip netns exec " + UPSTREAM + " busybox httpd -p " + UPSTREAM_ADDRESS + ":80 -h " + upstreamFiles);

        host = new JailHost("tenant-net", 128).withUplink(new Uplink(UPLINK, List.of(UPSTREAM_ADDRESS)));
        driver = host.start();
        web1 = jail("web1", 11, 10, "acme.internal");
        peer = jail("peer", 11, 11, "acme.internal");
        stranger = jail("web1", 12, 10, "globex.internal");
    }

    @AfterAll
    static void tearDown() {
        if (driver != null) {
            for (InstanceSpec jail : jails) {
                driver.destroy(jail.id());
            }
        }
        if (host != null) {
            host.close();
        }
        Command.run("sh", "-c", "ip netns pids " + UPSTREAM + " | xargs -r kill");
        Command.run("ip", "link", "delete", "dev", UPLINK);
        Command.run("ip", "netns", "delete", UPSTREAM);
    }

    private static InstanceSpec jail(String name, int network, int address, String domain) {
        InstanceSpec spec = new InstanceSpec(UUID.randomUUID(), UUID.randomUUID(), name, "jail", "busybox", 1, 64, 1,
                new NetworkAttachment(network, "10.231." + network + "." + address, 24, "10.231." + network + ".1",
                        domain, true));
        jails.add(spec);
        assertEquals(State.RUNNING, driver.start(spec).state());
        return spec;
    }

    private static String run(InstanceSpec jail, String command) {
        Command.Result result = driver.exec(jail.id(), "sh", "-c", command);
        return result.ok() ? result.stdout() : "exit " + result.exitCode() + ": " + result.stdout() + result.stderr();
    }

    private static void sh(String... commands) {
        for (String command : commands) {
            Command.run("sh", "-c", command).check();
        }
    }

    @Test
    @Order(1)
    void aJailFetchesAnOutsidePageByNameThroughTheUplink() {
        assertThat(run(web1, "cat /etc/resolv.conf")).contains("nameserver 10.231.11.1").contains("search acme.internal");
        assertThat(run(web1, "timeout 10 wget -q -O - http://www.upstream.test/")).contains(PAGE);
    }

    @Test
    @Order(2)
    void withEgressSwitchedOffTheOutsideIsOutOfReach() {
        String bridge = driver.network().tenantBridge(11);
        driver.network().tenants().egress(bridge, false);
        try {
            assertThat(run(web1, "timeout 5 wget -q -O - http://www.upstream.test/")).doesNotContain(PAGE).startsWith("exit ");
            assertThat(run(stranger, "timeout 10 wget -q -O - http://www.upstream.test/"))
                    .as("another tenant's egress is its own").contains(PAGE);
        } finally {
            driver.network().tenants().egress(bridge, true);
        }
        assertThat(run(web1, "timeout 10 wget -q -O - http://www.upstream.test/")).contains(PAGE);
    }

    @Test
    @Order(3)
    void instanceNamesAnswerInsideTheirTenantOnly() {
        assertThat(run(peer, "nslookup web1.acme.internal 10.231.11.1")).contains("10.231.11.10");
        assertThat(run(peer, "ping -c 1 -W 2 web1")).as("the search domain").contains("1 packets received");
        String elsewhere = run(stranger, "nslookup web1.acme.internal 10.231.12.1");
        assertThat(elsewhere).doesNotContain("10.231.11.10");
        assertThat(run(stranger, "nslookup web1.globex.internal 10.231.12.1")).contains("10.231.12.10");
    }

    @Test
    @Order(4)
    void theHostServesDhcpAndDnsAndNothingElse() throws IOException {
        try (ServerSocket service = new ServerSocket()) {
            service.bind(new InetSocketAddress("0.0.0.0", 0));
            int port = service.getLocalPort();
            assertThat(run(web1, "echo hi | nc -w 3 10.231.11.1 " + port + " && echo connected"))
                    .doesNotContain("connected");
            assertThat(run(web1, "echo hi | nc -w 3 198.18.77.1 " + port + " && echo connected"))
                    .as("nor by its uplink's address").doesNotContain("connected");
            // The same port is open to the host itself: the refusal is the rule's, not the socket's.
            try (Socket local = new Socket("127.0.0.1", port)) {
                assertTrue(local.isConnected());
            }
        }
        assertThat(run(web1, "nslookup www.upstream.test 10.231.11.1")).contains(UPSTREAM_ADDRESS);
    }

    @Test
    @Order(5)
    void tenantsCannotReachEachOther() {
        assertThat(run(stranger, "ping -c 1 -W 2 10.231.11.10")).doesNotContain("1 packets received");
        assertThat(run(peer, "ping -c 1 -W 2 10.231.11.10")).contains("1 packets received");
    }

    @Test
    @Order(6)
    void aJailJoiningANetworkInPlaceGetsWhatTheWholeTablesWouldGiveIt() throws IOException {
        // A member new to a network with members is added to the tables and the resolver in place.
        String bridgeHandle = tableHandle("bridge", driver.network().tenants().table());
        String meterHandle = tableHandle("inet", driver.network().tenants().meterTable());
        Path gatewayMac = Path.of("/sys/class/net", driver.network().tenantBridge(11), "address");
        String gatewayBefore = Files.readString(gatewayMac);
        InstanceSpec late = jail("late", 11, 12, "acme.internal");
        assertEquals(gatewayBefore, Files.readString(gatewayMac), "the gateway's MAC stays what the others know");
        assertEquals(bridgeHandle, tableHandle("bridge", driver.network().tenants().table()), "the same bridge table");
        assertEquals(meterHandle, tableHandle("inet", driver.network().tenants().meterTable()), "the same meter table");
        assertThat(run(peer, "nslookup late.acme.internal 10.231.11.1")).as("its name, at once").contains("10.231.11.12");
        assertThat(run(late, "ping -c 1 -W 2 10.231.11.10")).contains("1 packets received");
        assertThat(run(late, "timeout 10 wget -q -O - http://www.upstream.test/")).contains(PAGE);
        String bridgeTable = rules("bridge", driver.network().tenants().table());
        String meterTable = rules("inet", driver.network().tenants().meterTable());
        assertThat(bridgeTable).contains(HostNetwork.mac(late.id())).contains(HostNetwork.hostInterface(late.id()));
        assertThat(meterTable).contains("10.231.11.12");

        // Rendered again as a whole (as a change of the uplink does), the tables hold the same rules.
        TenantNetworks tenants = driver.network().tenants();
        tenants.uplink(tenants.uplink());
        assertEquals(bridgeTable, rules("bridge", tenants.table()));
        assertEquals(meterTable, rules("inet", tenants.meterTable()));
        assertThat(run(peer, "nslookup late.acme.internal 10.231.11.1")).contains("10.231.11.12");
    }

    /** The handle nftables gave a table when it was made (a table made again gets another). */
    private static String tableHandle(String family, String table) {
        Command.Result listed = Command.run("nft", "-a", "list", "table", family, table);
        assertTrue(listed.ok(), listed.stderr());
        return listed.stdout().lines().filter(line -> line.startsWith("table ")).findFirst().orElseThrow();
    }

    /** A table's rules without counters' values, one per line, sorted (rules added in place come last). */
    private static String rules(String family, String table) {
        Command.Result listed = Command.run("nft", "-s", "list", "table", family, table);
        assertTrue(listed.ok(), listed.stderr());
        return listed.stdout().lines().map(String::strip).filter(line -> !line.isEmpty()).sorted()
                .collect(java.util.stream.Collectors.joining("\n"));
    }

    @Test
    @Order(7)
    void destroyingTheLastInstanceOfANetworkLeavesNothingOfIt() {
        String bridge = driver.network().tenantBridge(12);
        Path pidFile = host.config().dataDirectory().resolve("networks").resolve(bridge).resolve("dnsmasq.pid");
        long dnsmasq = Processes.readPidFile(pidFile);
        assertTrue(Processes.alive(dnsmasq), "the network's resolver runs");
        driver.destroy(stranger.id());
        jails.remove(stranger);

        assertFalse(Processes.alive(dnsmasq), "its resolver is stopped");
        assertFalse(Files.exists(Path.of("/sys/class/net", bridge)), "its bridge is gone");
        String table = Command.run("nft", "list", "table", "inet", driver.network().tenants().table()).stdout();
        assertThat(table).doesNotContain(bridge).contains(driver.network().tenantBridge(11));

        for (InstanceSpec jail : List.copyOf(jails)) {
            driver.destroy(jail.id());
            jails.remove(jail);
        }
        assertFalse(Command.run("nft", "list", "table", "inet", driver.network().tenants().table()).ok(),
                "no rule of the agent's is left once it has no network");
        assertFalse(Files.exists(Path.of("/sys/class/net", driver.network().tenantBridge(11))));
    }
}

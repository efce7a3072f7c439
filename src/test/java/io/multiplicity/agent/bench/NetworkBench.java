package io.multiplicity.agent.bench;

import io.multiplicity.agent.jail.JailDriver;
import io.multiplicity.agent.jail.JailHost;
import io.multiplicity.agent.network.TenantNetworks;
import io.multiplicity.agent.network.TenantNetworks.Uplink;
import io.multiplicity.agent.network.TestInternet;
import io.multiplicity.agent.support.Command;
import io.multiplicity.host.contract.InstanceSpec;
import io.multiplicity.host.contract.InstanceSpec.NetworkAttachment;
import io.multiplicity.host.contract.PublicAccess;
import io.multiplicity.host.contract.PublicAccess.Exposure;
import io.multiplicity.host.contract.PublicAccess.Forward;
import io.multiplicity.host.contract.PublicAccess.Protocol;
import io.multiplicity.host.contract.PublicAccess.Rule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * The way in, measured: a customer in the test internet's {@code client} namespace fetches from a
 * busybox web server in a jail through a port forward of the host (DNAT, the agent's filter and
 * anti-spoofing tables, the tenant bridge), beside the same server program in a plain namespace
 * that the host routes to without NAT or filtering (the peer). Throughput: 16 GETs of a 32 MiB file;
 * connection rate: 1,000 sequential GETs of a small page, each a new TCP connection; best of three
 * rounds each. Then the time to apply a firewall change on a host whose published instance has
 * 1,000 rules (median of 11).
 */
public final class NetworkBench {

    static final int LARGE_GETS = 16;
    static final int SMALL_GETS = 1_000;
    static final int ROUNDS = 3;
    static final int RULES = 1_000;
    static final int CHANGES = 11;

    private NetworkBench() {
    }

    record Load(long requests, long bytes, double seconds) {

        static Load parse(String line) {
            long requests = 0;
            long bytes = 0;
            double seconds = 0;
            for (String part : line.strip().split(" ")) {
                String[] pair = part.split("=", 2);
                switch (pair[0]) {
                    case "requests" -> requests = Long.parseLong(pair[1]);
                    case "bytes" -> bytes = Long.parseLong(pair[1]);
                    case "seconds" -> seconds = Double.parseDouble(pair[1]);
                    default -> { }
                }
            }
            return new Load(requests, bytes, seconds);
        }

        double megabytesPerSecond() {
            return bytes / 1e6 / seconds;
        }

        double requestsPerSecond() {
            return requests / seconds;
        }
    }

    public static void main(String[] arguments) throws Exception {
        String reason = JailHost.unavailableReason();
        if (reason == null) {
            reason = TenantNetworks.unavailableReason();
        }
        if (reason != null) {
            System.out.println("network: cannot run here: " + reason);
            System.out.println("{\"bench\":\"network\",\"skipped\":\"" + reason.replace("\"", "'") + "\"}");
            return;
        }
        String load = Path.of("target", "http-load").toAbsolutePath().toString();
        String peerNamespace = null;
        String peerLink = null;
        try (TestInternet internet = new TestInternet(); JailHost host = new JailHost("bench-net", 256)
                .withUplink(new Uplink(internet.uplink, List.of()))) {
            JailDriver driver = host.start();
            InstanceSpec jail = new InstanceSpec(UUID.randomUUID(), UUID.randomUUID(), "web", "jail", "busybox", 2, 256, 1,
                    new NetworkAttachment(31, "10.233.31.10", 24, "10.233.31.1", null, true));
            driver.start(jail);
            // served from the jail's /dev/shm: the bench measures the network, not the jail's disk
            check(driver.exec(jail.id(), "sh", "-c", "mkdir -p /dev/shm/www && dd if=/dev/zero of=/dev/shm/www/large bs=1M"
                    + " count=32 2>/dev/null && echo small > /dev/shm/www/small && httpd -p 80 -h /dev/shm/www"));

            // The peer: the same server program and files in a plain namespace the host routes to.
            String suffix = internet.suffix;
            peerNamespace = "mppe" + suffix;
            peerLink = "mpp" + suffix;
            Path files = Files.createDirectories(Path.of("target", "bench-net-" + suffix).toAbsolutePath());
            TestInternet.sh("dd if=/dev/zero of=" + files.resolve("large") + " bs=1M count=32 2>/dev/null",
                    "echo small > " + files.resolve("small"),
                    "ip netns add " + peerNamespace,
                    "ip link add " + peerLink + " type veth peer name eth0 netns " + peerNamespace,
                    "ip addr add 198.18.80.1/24 dev " + peerLink,
                    "ip link set " + peerLink + " up",
                    "ip netns exec " + peerNamespace + " ip addr add 198.18.80.2/24 dev eth0",
                    "ip netns exec " + peerNamespace + " ip link set eth0 up",
                    "ip netns exec " + peerNamespace + " ip route add default via 198.18.80.1",
                    "ip netns exec " + internet.upstream + " ip route add 198.18.80.0/24 via 198.18.77.1",
                    "ip netns exec " + peerNamespace + " busybox httpd -p 198.18.80.2:80 -h " + files);

            String shared = TestInternet.PUBLIC + ".10";
            driver.network().tenants().publish(new PublicAccess(List.of(shared), List.of(new Exposure(jail.id(), 31,
                    "10.233.31.10", null, List.of(new Forward(shared, Protocol.TCP, 8080, 80)), null))));

            Load forwardLarge = best(internet, load, shared, 8080, "/large", LARGE_GETS, true);
            Load peerLarge = best(internet, load, "198.18.80.2", 80, "/large", LARGE_GETS, true);
            Load forwardSmall = best(internet, load, shared, 8080, "/small", SMALL_GETS, false);
            Load peerSmall = best(internet, load, "198.18.80.2", 80, "/small", SMALL_GETS, false);

            // A firewall change with 1,000 rules present.
            double[] changes = new double[CHANGES];
            for (int i = 0; i < CHANGES + 1; i++) {
                List<Rule> rules = new ArrayList<>();
                for (int r = 0; r < RULES; r++) {
                    rules.add(new Rule(Protocol.TCP, 1 + r, 1 + r, "10." + (r / 250) + "." + (r % 250) + ".0/24"));
                }
                rules.set(0, new Rule(Protocol.TCP, 80, 80, "198.18." + (78 + i % 2) + ".0/24"));
                PublicAccess access = new PublicAccess(List.of(shared), List.of(new Exposure(jail.id(), 31,
                        "10.233.31.10", null, List.of(new Forward(shared, Protocol.TCP, 8080, 80)), rules)));
                long started = System.nanoTime();
                driver.network().tenants().publish(access);
                double millis = (System.nanoTime() - started) / 1e6;
                if (i > 0) {
                    changes[i - 1] = millis;  // the first one adds the rules; the rest change one
                }
            }
            Arrays.sort(changes);
            double changeMillis = changes[CHANGES / 2];
            int rulesInTable = inboundRulesIn(driver.network().tenants().table());

            double throughputRatio = forwardLarge.megabytesPerSecond() / peerLarge.megabytesPerSecond();
            double rateRatio = forwardSmall.requestsPerSecond() / peerSmall.requestsPerSecond();
            System.out.println();
            System.out.printf(Locale.ROOT, "%-58s %12s %12s %8s%n", "client -> web server (best of " + ROUNDS + ")",
                    "forward", "peer", "ratio");
            System.out.printf(Locale.ROOT, "%-58s %12.1f %12.1f %8.2f%n", "throughput, MB/s (" + LARGE_GETS + " GETs of 32 MiB)",
                    forwardLarge.megabytesPerSecond(), peerLarge.megabytesPerSecond(), throughputRatio);
            System.out.printf(Locale.ROOT, "%-58s %12.0f %12.0f %8.2f%n", "connections/s (" + SMALL_GETS
                    + " sequential GETs, new TCP each)", forwardSmall.requestsPerSecond(), peerSmall.requestsPerSecond(),
                    rateRatio);
            System.out.println("forward: DNAT + the agent's filter and anti-spoofing tables + tenant bridge + veth");
            System.out.println("peer:    the same busybox httpd in a namespace the host routes to, no NAT or filter");
            System.out.println();
            System.out.printf(Locale.ROOT, "firewall change with %d rules present (%d in the table's rule sets and chains): "
                    + "median %.1f ms of %d, max %.1f ms (target under 100 ms)%n", RULES, rulesInTable,
                    changeMillis, CHANGES, changes[CHANGES - 1]);
            System.out.printf(Locale.ROOT, "{\"bench\":\"network\",\"forward_mb_per_s\":%.1f,\"peer_mb_per_s\":%.1f,"
                            + "\"throughput_ratio\":%.2f,\"forward_connections_per_s\":%.0f,\"peer_connections_per_s\":%.0f,"
                            + "\"connection_rate_ratio\":%.2f,\"firewall_change_ms\":%.1f,\"rules\":%d,"
                            + "\"peer\":\"routed namespace without NAT\",\"ratio\":%.2f}%n",
                    forwardLarge.megabytesPerSecond(), peerLarge.megabytesPerSecond(), throughputRatio,
                    forwardSmall.requestsPerSecond(), peerSmall.requestsPerSecond(), rateRatio, changeMillis, RULES,
                    Math.min(throughputRatio, rateRatio));
            driver.network().tenants().publish(PublicAccess.none());
            // The peer's server runs in a mount namespace of its own (ip netns exec) copied while the
            // jail's dataset was mounted: it holds that mount until it ends, so it ends first.
            removePeer(peerNamespace, peerLink);
            peerNamespace = null;
            try {
                driver.destroy(jail.id());
            } catch (RuntimeException e) {
                System.err.println("network: clean-up of the jail failed (the figures above stand): " + e.getMessage());
            }
        } finally {
            if (peerNamespace != null) {
                removePeer(peerNamespace, peerLink);
            }
        }
    }

    private static void removePeer(String namespace, String link) {
        Command.run("sh", "-c", "ip netns pids " + namespace + " | xargs -r kill; sleep 0.2");
        Command.run("ip", "link", "delete", "dev", link);
        Command.run("ip", "netns", "delete", namespace);
    }

    /** The best of {@link #ROUNDS} rounds, after one unmeasured warm-up of the small page. */
    private static Load best(TestInternet internet, String load, String address, int port, String path, int count,
            boolean byThroughput) {
        check(internet.fromClient(load, address, Integer.toString(port), "/small", "20"));
        Load best = null;
        for (int round = 0; round < ROUNDS; round++) {
            Load measured = Load.parse(check(internet.fromClient(load, address, Integer.toString(port), path,
                    Integer.toString(count))));
            if (best == null || (byThroughput ? measured.megabytesPerSecond() > best.megabytesPerSecond()
                    : measured.requestsPerSecond() > best.requestsPerSecond())) {
                best = measured;
            }
        }
        return best;
    }

    private static String check(Command.Result result) {
        return result.check().stdout();
    }

    /** Inbound rules the table holds: elements of the instances' rule sets, and their chains' other rules. */
    private static int inboundRulesIn(String table) throws Exception {
        com.fasterxml.jackson.databind.JsonNode listed = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(Command.check("nft", "-j", "list", "table", "inet", table));
        int count = 0;
        for (com.fasterxml.jackson.databind.JsonNode entry : listed.path("nftables")) {
            if (entry.path("set").path("name").asText().startsWith("rules_")) {
                count += entry.path("set").path("elem").size();
            }
            if (entry.path("rule").path("chain").asText().startsWith("rules_")
                    && !entry.path("rule").path("expr").toString().contains("\"@rules_")
                    && entry.path("rule").path("expr").toString().contains("\"accept\"")) {
                count++;
            }
        }
        return count;
    }
}

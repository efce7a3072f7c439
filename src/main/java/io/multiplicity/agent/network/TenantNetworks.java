package io.multiplicity.agent.network;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.multiplicity.agent.support.Command;
import io.multiplicity.agent.support.InstanceDirectories;
import io.multiplicity.agent.support.Processes;
import io.multiplicity.host.contract.InstanceMetadata;
import io.multiplicity.host.contract.InstanceSpec.NetworkAttachment;
import io.multiplicity.host.contract.PublicAccess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * What the host does for its tenant networks beyond the bridges: a resolver and DHCP server
 * (dnsmasq) on each network's gateway, and nftables tables of the agent's own that give each
 * network its way out (source NAT through the uplink, where the tenant may), let the outside in
 * where the control plane published it (public addresses, port forwards, inbound rules), keep the
 * host out of reach (instances reach the host for DHCP and DNS only) and keep each instance to its
 * own MAC and address.
 *
 * <p>Every network's settings and members live on disk under the agent's data directory
 * ({@code networks/<bridge>/network.json}), beside its dnsmasq's files; the table is rendered from
 * them as a whole and replaced in one nftables transaction, so it never holds half a change and a
 * restarted agent renders the same table again. The agent never touches a rule it did not write.
 */
public final class TenantNetworks {

    private static final Logger LOG = Logger.getLogger(TenantNetworks.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The host's way out.
     *
     * @param device    the uplink interface egress leaves by (source NAT to its address); null: no egress
     * @param resolvers the upstream resolvers the networks' dnsmasqs forward to
     */
    public record Uplink(String device, List<String> resolvers) {

        public Uplink {
            resolvers = resolvers == null ? List.of() : List.copyOf(resolvers);
        }

        public static Uplink none() {
            return new Uplink(null, List.of());
        }

        /**
         * The uplink as configured: {@code auto} is the interface of the host's default route,
         * {@code none} no egress, anything else an interface name; resolvers as configured, else the
         * host's own ({@code nameserver} lines of {@code /etc/resolv.conf}) where there is an uplink,
         * else none (the networks' DNS then answers the tenants' own names only).
         */
        public static Uplink of(String device, List<String> resolvers) {
            String chosen = switch (device) {
                case "none" -> null;
                case "auto" -> defaultRouteDevice();
                default -> device;
            };
            boolean configured = resolvers != null && !resolvers.isEmpty();
            return new Uplink(chosen, configured ? resolvers : chosen == null ? List.of() : hostResolvers());
        }

        private static String defaultRouteDevice() {
            Command.Result routes = Command.run("ip", "-o", "-4", "route", "show", "default");
            if (!routes.ok()) {
                return null;
            }
            String[] words = routes.stdout().strip().split("\\s+");
            for (int i = 0; i + 1 < words.length; i++) {
                if (words[i].equals("dev")) {
                    return words[i + 1];
                }
            }
            return null;
        }

        private static List<String> hostResolvers() {
            try {
                return Files.readAllLines(Path.of("/etc/resolv.conf")).stream()
                        .map(String::strip)
                        .filter(line -> line.startsWith("nameserver "))
                        .map(line -> line.substring("nameserver ".length()).strip())
                        .filter(address -> address.matches("[0-9.]+"))
                        .toList();
            } catch (IOException e) {
                return List.of();
            }
        }
    }

    /**
     * One instance on a network: its name answers with its address; a MAC gets a static DHCP lease.
     * With its port (the host end of its veth or tap) and MAC, the instance can send from that MAC
     * and address only.
     */
    public record Member(String name, String address, String mac, String port) {
    }

    /**
     * One tenant network on this host.
     *
     * @param bridge       its bridge
     * @param gateway      the host's address on it (resolver, DHCP server, router)
     * @param prefixLength its prefix length
     * @param domain       the tenant's domain, or null
     * @param egress       it may reach the outside through the uplink
     * @param members      its instances by id
     */
    public record Network(String bridge, String gateway, int prefixLength, String domain, boolean egress,
            Map<String, Member> members) {

        public Network {
            members = new TreeMap<>(members == null ? Map.of() : members);
        }

        /** The network's address, e.g. {@code 10.90.3.0/24}. */
        String subnet() {
            long mask = prefixLength == 0 ? 0 : (0xffffffffL << (32 - prefixLength)) & 0xffffffffL;
            return Ipv4Text.format(Ipv4Text.parse(gateway) & mask) + "/" + prefixLength;
        }

        String netmask() {
            long mask = prefixLength == 0 ? 0 : (0xffffffffL << (32 - prefixLength)) & 0xffffffffL;
            return Ipv4Text.format(mask);
        }
    }

    private final Path directory;
    private final String prefix;
    private final String table;
    private volatile Uplink uplink;
    private final MetadataService metadata;

    /**
     * @param directory where the networks' state and dnsmasq files live
     * @param prefix    the host bridges' prefix (tenant bridges are {@code <prefix>v<n>})
     * @param uplink    the host's way out
     */
    public TenantNetworks(Path directory, String prefix, Uplink uplink) {
        this.directory = directory;
        this.prefix = prefix;
        this.table = "multiplicity_" + prefix.replaceAll("[^A-Za-z0-9]", "_");
        this.uplink = uplink;
        this.metadata = new MetadataService(directory.resolve("_metadata"), this::caller);
    }

    /** The instance at a source address on one of the networks, as the metadata service knows its callers. */
    private synchronized Optional<MetadataService.Caller> caller(String address) {
        for (Network network : networks()) {
            for (Map.Entry<String, Member> member : network.members().entrySet()) {
                if (member.getValue().address().equals(address)) {
                    return Optional.of(new MetadataService.Caller(UUID.fromString(member.getKey()),
                            member.getValue().name(), address, network.gateway()));
                }
            }
        }
        return Optional.empty();
    }

    /** Keeps what the metadata service tells the instance about itself (its SSH keys and user-data). */
    public void describe(UUID id, String name, String address, InstanceMetadata description) {
        metadata.describe(id, name, address, description);
    }

    /** The metadata service's port on this host, 0 while no network has started it. */
    public int metadataPort() {
        return metadata.port();
    }

    /** The nftables table (family {@code inet}) that holds every rule the agent writes. */
    public String table() {
        return table;
    }

    public Uplink uplink() {
        return uplink;
    }

    /** Whether the machine has what tenant networks need (nft and dnsmasq); null when it does, else why not. */
    public static String unavailableReason() {
        for (String program : List.of("nft", "dnsmasq")) {
            if (!Command.run("sh", "-c", "command -v " + program).ok()) {
                return program + " is not installed (scripts/host-deps.sh installs it)";
            }
        }
        return null;
    }

    /** Changes the uplink and renders every network again. */
    public synchronized void uplink(Uplink changed) {
        this.uplink = changed;
        for (Network network : networks()) {
            writeDnsmasq(network);
            restartDnsmasq(network);
        }
        apply();
        meter();
    }

    /**
     * Adds (or updates) an instance on its network: its name in the network's DNS, its static DHCP
     * lease when it has a MAC, and the network's settings (domain, egress) as the attachment says.
     */
    public synchronized void join(String bridge, UUID id, String name, String mac, String port,
            NetworkAttachment attachment) {
        metadata.start();
        Network known = read(bridge);
        Map<String, Member> members = new TreeMap<>(known == null ? Map.of() : known.members());
        Member joined = new Member(name, attachment.address(), mac, port);
        Member before = members.put(id.toString(), joined);
        Network network = new Network(bridge, attachment.gateway(), attachment.prefixLength(), attachment.domain(),
                attachment.egress(), members);
        write(network);
        DnsmasqReload reload = writeDnsmasq(network);
        boolean settingsChanged = known == null || known.egress() != network.egress()
                || !java.util.Objects.equals(known.domain(), network.domain())
                || !known.gateway().equals(network.gateway()) || known.prefixLength() != network.prefixLength();
        if (settingsChanged || reload == DnsmasqReload.RESTART || !dnsmasqAlive(bridge)) {
            restartDnsmasq(network);
        } else if (reload == DnsmasqReload.SIGNAL) {
            reloadDnsmasq(bridge);
        }
        if (settingsChanged || !joined.equals(before)) {
            if (settingsChanged || before != null || !addMember(known, id, joined)) {
                apply();
                meter();
            }
        }
    }

    /**
     * Adds a member new to a network that has members already to the tables as they stand, in one
     * transaction: its port's anti-spoofing chain and its egress counter. Nothing else of the
     * tables depends on one member, unless the control plane published something for its address
     * (then the caller renders the tables again, as it does when this fails). A start no longer
     * waits for the whole table to be rendered and read back.
     */
    private boolean addMember(Network known, UUID id, Member member) {
        boolean bridgeTable = known.members().values().stream()
                .anyMatch(other -> other.port() != null && other.mac() != null);
        boolean published = published().access().instances().stream()
                .anyMatch(exposure -> exposure.address().equals(member.address()));
        if (known.members().isEmpty() || !bridgeTable || published) {
            return false;
        }
        String commands = NftRuleset.renderMemberAdded(table, meterTable(), uplink.device(), known.bridge(),
                id.toString(), member);
        Command.Result added = Command.run(List.of("nft", "-f", "-"), commands);
        if (!added.ok()) {
            LOG.warnf("adding %s to the tables in place failed (%s); they are rendered again", id,
                    added.stderr().strip());
            return false;
        }
        return true;
    }

    /**
     * Takes an instance off its network. Returns the bridge of a network left with no member (its
     * dnsmasq is stopped and its rules gone; the caller removes the bridge), or null.
     */
    public synchronized String leave(UUID id) {
        for (Network network : networks()) {
            if (!network.members().containsKey(id.toString())) {
                continue;
            }
            Map<String, Member> members = new TreeMap<>(network.members());
            members.remove(id.toString());
            metadata.forget(id);
            if (members.isEmpty()) {
                stopDnsmasq(network.bridge());
                InstanceDirectories.deleteTree(directory.resolve(network.bridge()));
                apply();
                meter();
                return network.bridge();
            }
            Network left = new Network(network.bridge(), network.gateway(), network.prefixLength(), network.domain(),
                    network.egress(), members);
            write(left);
            if (writeDnsmasq(left) == DnsmasqReload.RESTART) {
                restartDnsmasq(left);
            } else {
                // dnsmasq forgets a host whose file is gone only when told
                reloadDnsmasq(network.bridge());
            }
            apply();
            meter();
            return null;
        }
        return null;
    }

    /** Changes a network's egress (an admin switched the tenant's egress); nothing when the host has no such network. */
    public synchronized void egress(String bridge, boolean egress) {
        Network network = read(bridge);
        if (network == null || network.egress() == egress) {
            return;
        }
        write(new Network(bridge, network.gateway(), network.prefixLength(), network.domain(), egress,
                network.members()));
        apply();
    }

    /**
     * Replaces how the outside reaches this host's instances: the public addresses go onto the
     * uplink (as /32s, so the host answers ARP for them upstream), the table is rendered again with
     * the forwards, 1:1 NATs and inbound rules, and addresses no longer published leave the uplink.
     * Refuses an access it cannot carry out and keeps what it had.
     */
    public synchronized void publish(PublicAccess access) {
        Published before = published();
        Published after = new Published(access, uplink.device() == null ? List.of() : access.addresses(),
                uplink.device());
        NftRuleset.check(access);
        if (access.instances().stream().anyMatch(PublicAccess.Exposure::filterInside)) {
            requireBridgedTrafficFiltered();
        }
        if (after.equals(before)) {
            return;
        }
        if (uplink.device() == null && !access.addresses().isEmpty()) {
            LOG.warnf("the host has no uplink: its %d public addresses are published but unreachable",
                    access.addresses().size());
        }
        for (String address : after.onUplink()) {
            if (!before.onUplink().contains(address) || !java.util.Objects.equals(before.device(), after.device())) {
                Command.Result added = Command.run("ip", "addr", "add", address + "/32", "dev", after.device());
                if (!added.ok() && !added.stderr().contains("File exists")) {
                    added.check();
                }
            }
        }
        String ruleChanges = after.onUplink().equals(before.onUplink())
                && java.util.Objects.equals(before.device(), after.device())
                ? NftRuleset.renderRuleChanges(table, before.access(), after.access()) : null;
        writePublished(after);
        if (ruleChanges != null) {
            // only inbound rules changed: their sets' elements change in one transaction, and the
            // rest of the table (every network, forward and address) is left as it is
            Command.Result changed = ruleChanges.isEmpty() ? null : Command.run(List.of("nft", "-f", "-"), ruleChanges);
            if (changed == null || changed.ok()) {
                return;
            }
            LOG.warnf("changing the inbound rule sets in place failed (%s); the table is rendered again",
                    changed.stderr().strip());
        }
        apply();
        for (String address : before.onUplink()) {
            if (!after.onUplink().contains(address) || !java.util.Objects.equals(before.device(), after.device())) {
                Command.run("ip", "addr", "del", address + "/32", "dev", before.device());
            }
        }
    }

    /** Where the kernel says whether traffic bridged between two ports passes the IPv4 hooks. */
    static final Path BRIDGE_CALLS_IPTABLES = Path.of("/proc/sys/net/bridge/bridge-nf-call-iptables");

    /**
     * Traffic between two members of a tenant network is switched by its bridge: nftables' inet
     * table sees it only while the kernel's bridge netfilter passes bridged IPv4 to it (a
     * switch of the network namespace; where it is off, it is turned on — the inet table
     * accepts whatever stays inside a network, so nothing else changes). A kernel without it cannot
     * filter inside a network, and says so.
     */
    private static void requireBridgedTrafficFiltered() {
        if (!Files.exists(BRIDGE_CALLS_IPTABLES)) {
            throw new IllegalStateException("this host cannot filter traffic inside a tenant network: its kernel does not"
                    + " pass bridged traffic to nftables (no bridge netfilter, br_netfilter)");
        }
        try {
            if (!Files.readString(BRIDGE_CALLS_IPTABLES).strip().equals("1")) {
                Files.writeString(BRIDGE_CALLS_IPTABLES, "1");
                LOG.info("bridged IPv4 traffic now passes nftables (net.bridge.bridge-nf-call-iptables = 1), so that"
                        + " firewalls can filter traffic inside tenant networks");
            }
        } catch (IOException e) {
            throw new IllegalStateException("this host cannot filter traffic inside a tenant network: " + e.getMessage(), e);
        }
    }

    /** What the host publishes now. */
    public synchronized PublicAccess publicAccess() {
        return published().access();
    }

    /**
     * What was published, and which of its addresses the agent put on which uplink device (it takes
     * off only those).
     */
    record Published(PublicAccess access, List<String> onUplink, String device) {

        Published {
            access = access == null ? PublicAccess.none() : access;
            onUplink = onUplink == null ? List.of() : List.copyOf(onUplink);
        }
    }

    private Published published() {
        Path file = directory.resolve("public.json");
        try {
            return Files.exists(file) ? JSON.readValue(file.toFile(), Published.class)
                    : new Published(PublicAccess.none(), List.of(), null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void writePublished(Published published) {
        try {
            InstanceDirectories.writeText(directory.resolve("public.json"), JSON.writeValueAsString(published));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Stops every dnsmasq, takes the published addresses off the uplink, removes the tables and all
     * state (tests, uninstall).
     */
    public synchronized void removeAll() {
        for (Network network : networks()) {
            stopDnsmasq(network.bridge());
        }
        metadata.close();
        Published published = published();
        for (String address : published.onUplink()) {
            Command.run("ip", "addr", "del", address + "/32", "dev", published.device());
        }
        InstanceDirectories.deleteTree(directory);
        Command.run(List.of("nft", "-f", "-"), "table inet " + table + "\ndelete table inet " + table + "\n"
                + "table bridge " + table + "\ndelete table bridge " + table + "\n"
                + "table inet " + meterTable() + "\ndelete table inet " + meterTable() + "\n");
    }

    /** The networks this host has, as recorded. */
    public synchronized List<Network> networks() {
        List<Network> networks = new ArrayList<>();
        if (!Files.isDirectory(directory)) {
            return networks;
        }
        try (Stream<Path> entries = Files.list(directory)) {
            for (Path entry : entries.sorted().filter(Files::isDirectory).toList()) {
                Network network = read(entry.getFileName().toString());
                if (network != null) {
                    networks.add(network);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return networks;
    }

    // ---------------------------------------------------------------- nftables

    /**
     * Replaces the agent's tables with ones rendered from every network and what is published, in
     * one transaction: the {@code inet} table (host protection, egress, NAT, inbound rules) and the
     * {@code bridge} table (anti-spoofing on the instances' ports).
     */
    private void apply() {
        List<Network> networks = networks();
        PublicAccess access = published().access();
        if (uplink.device() != null && networks.stream().anyMatch(Network::egress)
                || !access.instances().isEmpty()) {
            enableForwarding();
        }
        String ruleset = "table inet " + table + "\ndelete table inet " + table + "\n"
                + "table bridge " + table + "\ndelete table bridge " + table + "\n"
                + (networks.isEmpty() ? "" : NftRuleset.render(table, prefix, uplink.device(), networks, access,
                        metadata.port())
                        + NftRuleset.renderBridge(table, networks));
        Command.run(List.of("nft", "-f", "-"), ruleset).check();
    }

    /** The table of the egress counters (family {@code inet}). */
    public String meterTable() {
        return table + "_egress";
    }

    /**
     * Replaces the meter table with one counting every member of every network, after adding what
     * the old table's counters held to the totals on disk (the new counters start at zero).
     */
    private void meter() {
        Map<String, Long> egress = collectEgress();
        String meter = meterTable();
        Command.run(List.of("nft", "-f", "-"), "table inet " + meter + "\ndelete table inet " + meter + "\n"
                + NftRuleset.renderMeter(meter, uplink.device(), networks())).check();
        writeEgress(egress);
    }

    // ---------------------------------------------------------------- egress metering

    /**
     * Bytes the instance has sent out through the uplink, over its life on this host: what earlier
     * tables counted (kept in {@code egress.json} across every replacement of the table and every
     * restart of the agent) plus what the table's counter holds now. Null when the host does not
     * count it for the instance (no uplink, or not on a network here).
     */
    public synchronized Long egressBytes(UUID id) {
        String key = id.toString();
        boolean member = networks().stream().anyMatch(network -> network.members().containsKey(key));
        Long total = readEgress().get(key);
        if (!member || uplink.device() == null) {
            return total;
        }
        return (total == null ? 0 : total) + liveCounters().getOrDefault(NftRuleset.egressCounter(key), 0L);
    }

    /** The persisted totals plus what the live counters hold, for members that are still here. */
    private Map<String, Long> collectEgress() {
        Map<String, Long> totals = new TreeMap<>(readEgress());
        Map<String, Long> live = liveCounters();
        java.util.Set<String> members = new java.util.HashSet<>();
        for (Network network : networks()) {
            members.addAll(network.members().keySet());
        }
        for (String id : members) {
            long counted = live.getOrDefault(NftRuleset.egressCounter(id), 0L);
            if (counted > 0 || totals.containsKey(id)) {
                totals.merge(id, counted, Long::sum);
            }
        }
        totals.keySet().retainAll(members);
        return totals;
    }

    /** The egress counters of the agent's table now, by counter name; empty when it has none. */
    private Map<String, Long> liveCounters() {
        Command.Result listed = Command.run("nft", "-j", "list", "counters", "table", "inet", meterTable());
        Map<String, Long> counters = new TreeMap<>();
        if (!listed.ok()) {
            return counters;
        }
        try {
            for (com.fasterxml.jackson.databind.JsonNode entry : JSON.readTree(listed.stdout()).path("nftables")) {
                com.fasterxml.jackson.databind.JsonNode counter = entry.path("counter");
                if (counter.isObject() && counter.path("name").asText().startsWith(NftRuleset.EGRESS_COUNTER_PREFIX)) {
                    counters.put(counter.path("name").asText(), counter.path("bytes").asLong());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the egress counters of table " + table, e);
        }
        return counters;
    }

    private Map<String, Long> readEgress() {
        Path file = directory.resolve("egress.json");
        try {
            return Files.exists(file)
                    ? JSON.readValue(file.toFile(), new com.fasterxml.jackson.core.type.TypeReference<TreeMap<String, Long>>() { })
                    : Map.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void writeEgress(Map<String, Long> totals) {
        try {
            if (totals.isEmpty()) {
                Files.deleteIfExists(directory.resolve("egress.json"));
            } else {
                InstanceDirectories.writeText(directory.resolve("egress.json"), JSON.writeValueAsString(totals));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void enableForwarding() {
        Path forwarding = Path.of("/proc/sys/net/ipv4/ip_forward");
        try {
            if (!"1".equals(Files.readString(forwarding).strip())) {
                Files.writeString(forwarding, "1\n");
                LOG.info("enabled IPv4 forwarding for the tenant networks' egress");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot enable IPv4 forwarding", e);
        }
    }

    // ---------------------------------------------------------------- dnsmasq

    private Path dnsmasqPidFile(String bridge) {
        return directory.resolve(bridge).resolve("dnsmasq.pid");
    }

    private boolean dnsmasqAlive(String bridge) {
        return Processes.aliveNaming(Processes.readPidFile(dnsmasqPidFile(bridge)), bridge);
    }

    /** What a running dnsmasq needs after its files were written. */
    private enum DnsmasqReload {
        /** Nothing, or only new hosts: it reads a file added to its host directories as it appears. */
        NONE,
        /** A host's file changed or went: it forgets what it read only on SIGHUP. */
        SIGNAL,
        /** Its configuration changed. */
        RESTART
    }

    /**
     * Writes a network's dnsmasq configuration and, in two directories dnsmasq watches, one hosts
     * and one DHCP hosts file per member (so a new member is known without a signal).
     */
    private DnsmasqReload writeDnsmasq(Network network) {
        Path dir = directory.resolve(network.bridge());
        List<String> config = new ArrayList<>(List.of(
                "# written by the host agent for tenant network " + network.bridge(),
                "interface=" + network.bridge(),
                "bind-interfaces",
                "except-interface=lo",
                "listen-address=" + network.gateway(),
                "no-hosts",
                "no-resolv",
                "strict-order",
                "dhcp-authoritative",
                "dhcp-range=" + network.subnet().substring(0, network.subnet().indexOf('/')) + ",static,"
                        + network.netmask() + ",1h",
                "dhcp-option=option:router," + network.gateway(),
                "dhcp-option=option:dns-server," + network.gateway(),
                "dhcp-hostsdir=" + dir.resolve(DHCP_HOSTS),
                "dhcp-leasefile=" + dir.resolve("leases"),
                "hostsdir=" + dir.resolve(HOSTS),
                "pid-file=" + dnsmasqPidFile(network.bridge()),
                "log-facility=" + dir.resolve("dnsmasq.log")));
        if (network.domain() != null) {
            config.add("domain=" + network.domain());
            config.add("local=/" + network.domain() + "/");
            config.add("dhcp-option=option:domain-search," + network.domain());
        }
        for (String resolver : uplink.resolvers()) {
            config.add("server=" + resolver);
        }
        Map<String, String> hosts = new TreeMap<>();
        Map<String, String> leases = new TreeMap<>();
        for (Map.Entry<String, Member> entry : network.members().entrySet()) {
            Member member = entry.getValue();
            hosts.put(entry.getKey(), member.address()
                    + (network.domain() == null ? "" : " " + member.name() + "." + network.domain())
                    + " " + member.name() + "\n");
            if (member.mac() != null) {
                leases.put(entry.getKey(), member.mac() + "," + member.address() + "," + member.name() + "\n");
            }
        }
        String text = String.join("\n", config) + "\n";
        Path conf = dir.resolve("dnsmasq.conf");
        boolean confChanged;
        try {
            confChanged = !Files.exists(conf) || !Files.readString(conf).equals(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (confChanged) {
            InstanceDirectories.writeText(conf, text);
            try {
                // the single hosts files of earlier versions
                Files.deleteIfExists(dir.resolve("hosts"));
                Files.deleteIfExists(dir.resolve("dhcp-hosts"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        boolean changed = syncHostFiles(dir.resolve(HOSTS), hosts) | syncHostFiles(dir.resolve(DHCP_HOSTS), leases);
        return confChanged ? DnsmasqReload.RESTART : changed ? DnsmasqReload.SIGNAL : DnsmasqReload.NONE;
    }

    /** dnsmasq's host directories (read as files appear in them); files beginning with a dot it skips. */
    private static final String HOSTS = "hosts.d";
    private static final String DHCP_HOSTS = "dhcp-hosts.d";

    /**
     * Makes a host directory hold one file per entry with its text; true when a file that was
     * there changed or went (what dnsmasq does not notice by itself).
     */
    private static boolean syncHostFiles(Path dir, Map<String, String> entries) {
        boolean changed = false;
        try {
            Files.createDirectories(dir);
            try (Stream<Path> present = Files.list(dir)) {
                for (Path file : present.toList()) {
                    String name = file.getFileName().toString();
                    if (!entries.containsKey(name)) {
                        Files.deleteIfExists(file);
                        changed |= !name.startsWith(".");
                    }
                }
            }
            for (Map.Entry<String, String> entry : entries.entrySet()) {
                Path file = dir.resolve(entry.getKey());
                boolean exists = Files.exists(file);
                if (exists && Files.readString(file).equals(entry.getValue())) {
                    continue;
                }
                // written beside under a name dnsmasq skips, then moved in whole
                Path temporary = dir.resolve("." + entry.getKey());
                Files.writeString(temporary, entry.getValue());
                Files.move(temporary, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                changed |= exists;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return changed;
    }

    private void restartDnsmasq(Network network) {
        stopDnsmasq(network.bridge());
        Path dir = directory.resolve(network.bridge());
        Command.run("dnsmasq", "--conf-file=" + dir.resolve("dnsmasq.conf")).check();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!dnsmasqAlive(network.bridge()) && System.nanoTime() < deadline) {
            Processes.sleep(10);
        }
        if (!dnsmasqAlive(network.bridge())) {
            throw new IllegalStateException("dnsmasq for " + network.bridge() + " did not start; see "
                    + dir.resolve("dnsmasq.log"));
        }
    }

    /** dnsmasq reads its host directories again on SIGHUP, forgetting hosts whose file went. */
    private void reloadDnsmasq(String bridge) {
        long pid = Processes.readPidFile(dnsmasqPidFile(bridge));
        if (Processes.aliveNaming(pid, bridge)) {
            Command.run("kill", "-HUP", Long.toString(pid));
        }
    }

    private void stopDnsmasq(String bridge) {
        long pid = Processes.readPidFile(dnsmasqPidFile(bridge));
        if (Processes.aliveNaming(pid, bridge)) {
            Processes.terminate(pid, Duration.ofSeconds(3));
        }
    }

    // ---------------------------------------------------------------- state

    private Network read(String bridge) {
        Path file = directory.resolve(bridge).resolve("network.json");
        try {
            return Files.exists(file) ? JSON.readValue(file.toFile(), Network.class) : null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void write(Network network) {
        try {
            InstanceDirectories.writeText(directory.resolve(network.bridge()).resolve("network.json"), JSON.writeValueAsString(network));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package io.multiplicity.agent.network;

import io.multiplicity.host.contract.PublicAccess;
import io.multiplicity.host.contract.PublicAccess.Exposure;
import io.multiplicity.host.contract.PublicAccess.Forward;
import io.multiplicity.host.contract.PublicAccess.Rule;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The agent's nftables tables, rendered from the host's tenant networks and what the control plane
 * published (pure functions, so that what the host gets is exactly what a test reads).
 *
 * <pre>
 * inet table
 *   prerouting   from a tenant bridge: 169.254.169.254:80 to the metadata service at the bridge's
 *                gateway; from outside (not a tenant bridge): port forwards and 1:1 NAT to instances
 *   input        from a tenant bridge: DHCP, DNS, the metadata service and ping of the gateway;
 *                replies; nothing else; the metadata service's port from anywhere else: dropped
 *                reaches the host (not the panel, the database, Keycloak or SSH)
 *   forward      inside one tenant network: open, but for members whose firewall filters inside
 *                (new connections to them pass its rules); replies of connections let in from outside:
 *                open; out of a network whose tenant has egress: only through the uplink; between
 *                tenant networks, to any other interface: dropped; into a tenant network: replies,
 *                and what came in by a forward or a public address and an inbound rule allows
 *   postrouting  source NAT for networks with egress: an instance's own public address where it
 *                has one, else the uplink's address
 * bridge table
 *   prerouting   each instance's port sends from the instance's MAC and address only, and IPv4
 *                and ARP only (so no VLAN tag or IPv6 slips past); DHCP's 0.0.0.0 is allowed
 * </pre>
 */
final class NftRuleset {

    private NftRuleset() {
    }

    /** Refuses what cannot be rendered safely: anything that is not an IPv4 address, CIDR or port. */
    static void check(PublicAccess access) {
        for (String address : access.addresses()) {
            requireAddress(address);
        }
        Set<String> forwarded = new HashSet<>();
        for (Exposure exposure : access.instances()) {
            requireAddress(exposure.address());
            if (exposure.publicAddress() != null) {
                requireAddress(exposure.publicAddress());
            }
            for (Forward forward : exposure.forwards()) {
                requireAddress(forward.publicAddress());
                if (!forward.protocol().hasPorts()) {
                    throw new IllegalArgumentException("a forward is TCP or UDP, not " + forward.protocol());
                }
                requirePort(forward.port());
                requirePort(forward.targetPort());
                if (!forwarded.add(forward.publicAddress() + " " + forward.protocol() + " " + forward.port())) {
                    throw new IllegalArgumentException("port " + forward.port() + "/" + forward.protocol().keyword()
                            + " of " + forward.publicAddress() + " is forwarded twice");
                }
            }
            if (exposure.rules() != null) {
                for (Rule rule : exposure.rules()) {
                    requireCidr(rule.source());
                    if (rule.protocol().hasPorts()) {
                        requirePort(rule.fromPort());
                        requirePort(rule.toPort());
                        if (rule.toPort() < rule.fromPort()) {
                            throw new IllegalArgumentException("a port range ends before it starts: " + rule);
                        }
                    }
                }
            }
        }
    }

    /** Names of the per-instance counters of bytes sent out through the uplink start with this. */
    static final String EGRESS_COUNTER_PREFIX = "egress_";

    /** The counter of what instance {@code id} sends out through the uplink. */
    static String egressCounter(String id) {
        return EGRESS_COUNTER_PREFIX + id.replace("-", "");
    }

    /** Where instances find the metadata service. */
    static final String METADATA_ADDRESS = "169.254.169.254";

    static String render(String table, String prefix, String uplink, List<TenantNetworks.Network> networks,
            PublicAccess access, int metadataPort) {
        String tenants = quote(prefix + "v*");
        Map<String, TenantNetworks.Network> byAddress = new HashMap<>();
        for (TenantNetworks.Network network : networks) {
            for (TenantNetworks.Member member : network.members().values()) {
                byAddress.put(member.address(), network);
            }
        }
        // Exposures of instances this host has on a network; anything else is someone else's, or gone.
        List<Exposure> exposed = access.instances().stream()
                .filter(exposure -> byAddress.containsKey(exposure.address()))
                .toList();
        StringBuilder out = new StringBuilder();
        out.append("table inet ").append(table).append(" {\n");

        out.append("  chain prerouting {\n")
                .append("    type nat hook prerouting priority dstnat; policy accept;\n");
        if (metadataPort > 0) {
            for (TenantNetworks.Network network : networks) {
                requireAddress(network.gateway());
                out.append("    iifname ").append(quote(network.bridge())).append(" ip daddr ").append(METADATA_ADDRESS)
                        .append(" tcp dport 80 dnat ip to ").append(network.gateway()).append(':').append(metadataPort)
                        .append('\n');
            }
        }
        out.append("    iifname ").append(tenants).append(" return\n");
        for (Exposure exposure : exposed) {
            for (Forward forward : exposure.forwards()) {
                out.append("    ip daddr ").append(forward.publicAddress()).append(' ')
                        .append(forward.protocol().keyword()).append(" dport ").append(forward.port())
                        .append(" dnat ip to ").append(exposure.address()).append(':').append(forward.targetPort())
                        .append('\n');
            }
        }
        for (Exposure exposure : exposed) {
            if (exposure.publicAddress() != null) {
                out.append("    ip daddr ").append(exposure.publicAddress()).append(" dnat ip to ")
                        .append(exposure.address()).append('\n');
            }
        }
        out.append("  }\n");

        out.append("  chain input {\n")
                .append("    type filter hook input priority filter; policy accept;\n")
                .append("    iifname ").append(tenants).append(" jump from_tenants\n");
        if (metadataPort > 0) {
            // the metadata service answers the tenant networks only
            out.append("    tcp dport ").append(metadataPort).append(" drop\n");
        }
        out.append("  }\n");
        out.append("  chain from_tenants {\n")
                .append("    ct state established,related accept\n")
                .append("    udp dport { 53, 67 } accept\n")
                .append("    tcp dport 53 accept\n")
                .append(metadataPort > 0 ? "    tcp dport " + metadataPort + " accept\n" : "")
                .append("    icmp type echo-request accept\n")
                .append("    counter drop\n")
                .append("  }\n");

        out.append("  chain forward {\n")
                .append("    type filter hook forward priority filter; policy accept;\n")
                .append("    iifname ").append(tenants).append(" jump out_of_tenants\n")
                .append("    oifname ").append(tenants).append(" jump into_tenants\n")
                .append("  }\n");
        out.append("  chain out_of_tenants {\n");
        // A member whose firewall filters inside its network: what another member opens to it passes
        // its rules first (bridged traffic comes here through the bridge's netfilter call); replies
        // and what belongs to a connection it opened itself pass.
        for (Exposure exposure : exposed) {
            if (exposure.filterInside()) {
                String bridge = quote(byAddress.get(exposure.address()).bridge());
                out.append("    iifname ").append(bridge).append(" oifname ").append(bridge).append(" ip daddr ")
                        .append(exposure.address()).append(" ct state != { established, related } jump ")
                        .append(ruleChain(exposure)).append('\n');
            }
        }
        for (TenantNetworks.Network network : networks) {
            String bridge = quote(network.bridge());
            out.append("    iifname ").append(bridge).append(" oifname ").append(bridge).append(" accept\n");
        }
        if (uplink != null) {
            out.append("    oifname ").append(quote(uplink)).append(" ct status dnat accept\n");
            for (TenantNetworks.Network network : networks) {
                if (network.egress()) {
                    out.append("    iifname ").append(quote(network.bridge())).append(" oifname ").append(quote(uplink))
                            .append(" ip saddr ").append(network.subnet()).append(" accept\n");
                }
            }
        }
        out.append("    counter drop\n")
                .append("  }\n");
        out.append("  chain into_tenants {\n")
                .append("    ct state established,related accept\n");
        if (!exposed.isEmpty()) {
            out.append("    iifname != ").append(tenants).append(" ct status dnat jump inbound\n");
        }
        out.append("    counter drop\n")
                .append("  }\n");
        if (!exposed.isEmpty()) {
            out.append("  chain inbound {\n");
            for (Exposure exposure : exposed) {
                out.append("    oifname ").append(quote(byAddress.get(exposure.address()).bridge()))
                        .append(" ip daddr ").append(exposure.address())
                        .append(exposure.rules() == null ? " accept\n" : " jump " + ruleChain(exposure) + "\n");
            }
            out.append("    counter drop\n")
                    .append("  }\n");
            for (Exposure exposure : exposed) {
                if (exposure.rules() == null) {
                    continue;
                }
                String chain = ruleChain(exposure);
                InboundRuleSets sets = new InboundRuleSets(exposure.rules());
                out.append(sets.renderSets(chain));
                out.append("  chain ").append(chain).append(" {\n");
                for (String rule : sets.renderRules(chain)) {
                    out.append("    ").append(rule).append('\n');
                }
                out.append("    counter drop\n")
                        .append("  }\n");
            }
        }

        out.append("  chain postrouting {\n")
                .append("    type nat hook postrouting priority srcnat; policy accept;\n");
        if (uplink != null) {
            for (Exposure exposure : exposed) {
                if (exposure.publicAddress() != null && byAddress.get(exposure.address()).egress()) {
                    out.append("    oifname ").append(quote(uplink)).append(" ip saddr ").append(exposure.address())
                            .append(" snat ip to ").append(exposure.publicAddress()).append('\n');
                }
            }
            for (TenantNetworks.Network network : networks) {
                if (network.egress()) {
                    out.append("    oifname ").append(quote(uplink)).append(" ip saddr ").append(network.subnet())
                            .append(" masquerade\n");
                }
            }
        }
        out.append("  }\n");
        out.append("}\n");
        return out.toString();
    }

    /**
     * The meter table ({@code <table>_egress}): a counter per instance of what it sends out through
     * the uplink, replies of connections let in included, as IP bytes before source NAT. Its chain
     * hooks forward after the filter, so only what the filter accepted is counted. It is a table of
     * its own so that it is replaced only when members come and go, not with every change of what
     * is published or filtered. Empty when there is no uplink.
     */
    static String renderMeter(String table, String uplink, List<TenantNetworks.Network> networks) {
        if (uplink == null || networks.stream().allMatch(network -> network.members().isEmpty())) {
            return "";
        }
        StringBuilder counters = new StringBuilder();
        StringBuilder rules = new StringBuilder();
        for (TenantNetworks.Network network : networks) {
            for (Map.Entry<String, TenantNetworks.Member> member : network.members().entrySet()) {
                String counter = egressCounter(requireId(member.getKey()));
                requireAddress(member.getValue().address());
                counters.append("  counter ").append(counter).append(" {\n  }\n");
                rules.append("    iifname ").append(quote(network.bridge())).append(" oifname ").append(quote(uplink))
                        .append(" ip saddr ").append(member.getValue().address()).append(" counter name ")
                        .append(counter).append('\n');
            }
        }
        return "table inet " + table + " {\n"
                + counters
                + "  chain forward {\n"
                + "    type filter hook forward priority filter + 10; policy accept;\n"
                + rules
                + "  }\n"
                + "}\n";
    }

    /**
     * The bridge table: every member with a known port and MAC sends from them only. Members
     * without (state written before ports were recorded) are left as they were until they start
     * again.
     */
    static String renderBridge(String table, List<TenantNetworks.Network> networks) {
        StringBuilder chains = new StringBuilder();
        StringBuilder dispatch = new StringBuilder();
        for (TenantNetworks.Network network : networks) {
            for (TenantNetworks.Member member : network.members().values()) {
                if (member.port() == null || member.mac() == null) {
                    continue;
                }
                requireAddress(member.address());
                String chain = portChain(member);
                dispatch.append("    iifname ").append(quote(member.port())).append(" jump ").append(chain).append('\n');
                chains.append(renderPortChain(member));
            }
        }
        if (dispatch.isEmpty()) {
            return "";
        }
        return "table bridge " + table + " {\n"
                + "  chain prerouting {\n"
                + "    type filter hook prerouting priority filter; policy accept;\n"
                + dispatch
                + "  }\n"
                + chains
                + "}\n";
    }

    private static String portChain(TenantNetworks.Member member) {
        return "port_" + member.port();
    }

    /** A port's chain: what the instance behind it sends comes from its MAC and address, as IPv4 or ARP. */
    private static String renderPortChain(TenantNetworks.Member member) {
        requireAddress(member.address());
        String mac = requireMac(member.mac());
        return "  chain " + portChain(member) + " {\n"
                + "    ether saddr != " + mac + " counter drop\n"
                + "    ether type != { ip, arp } counter drop\n"
                + "    arp saddr ether != " + mac + " counter drop\n"
                + "    arp saddr ip != { 0.0.0.0, " + member.address() + " } counter drop\n"
                + "    ether type ip ip saddr != { 0.0.0.0, " + member.address() + " } counter drop\n"
                + "  }\n";
    }

    /**
     * What adding one member to tables that exist already takes (one transaction when given to
     * {@code nft -f}): its port's chain and the jump to it in the bridge table, its egress counter
     * and rule in the meter table; the same as rendering both tables again with it, for a member
     * the control plane published nothing for. The bridge table must exist (another member has a
     * port), and so must the meter table where there is an uplink.
     */
    static String renderMemberAdded(String table, String meterTable, String uplink, String bridge, String id,
            TenantNetworks.Member member) {
        StringBuilder out = new StringBuilder();
        if (member.port() != null && member.mac() != null) {
            out.append("table bridge ").append(table).append(" {\n")
                    .append(renderPortChain(member))
                    .append("  chain prerouting {\n")
                    .append("    iifname ").append(quote(member.port())).append(" jump ").append(portChain(member))
                    .append('\n')
                    .append("  }\n")
                    .append("}\n");
        }
        if (uplink != null) {
            String counter = egressCounter(requireId(id));
            requireAddress(member.address());
            out.append("table inet ").append(meterTable).append(" {\n")
                    .append("  counter ").append(counter).append(" {\n  }\n")
                    .append("  chain forward {\n")
                    .append("    iifname ").append(quote(bridge)).append(" oifname ").append(quote(uplink))
                    .append(" ip saddr ").append(member.address()).append(" counter name ").append(counter).append('\n')
                    .append("  }\n")
                    .append("}\n");
        }
        return out.toString();
    }

    private static String requireId(String id) {
        if (!id.matches("[0-9a-f-]{36}")) {
            throw new IllegalArgumentException("not an instance id: " + id);
        }
        return id;
    }

    /**
     * The commands that turn the inbound rule sets published as {@code before} into those of
     * {@code after}, when nothing else differs (the same instances, addresses and forwards, each
     * with rules before and after, and the same rule chains): a firewall change then touches only
     * its sets' elements, whatever else the table holds. Null when the table must be rendered again.
     */
    static String renderRuleChanges(String table, PublicAccess before, PublicAccess after) {
        if (!before.addresses().equals(after.addresses()) || before.instances().size() != after.instances().size()) {
            return null;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < after.instances().size(); i++) {
            Exposure old = before.instances().get(i);
            Exposure now = after.instances().get(i);
            if (old.equals(now)) {
                continue;
            }
            if (old.rules() == null || now.rules() == null || !old.instanceId().equals(now.instanceId())
                    || old.tenantNetwork() != now.tenantNetwork() || !old.address().equals(now.address())
                    || !java.util.Objects.equals(old.publicAddress(), now.publicAddress())
                    || !old.forwards().equals(now.forwards()) || old.filterInside() != now.filterInside()) {
                return null;
            }
            String change = new InboundRuleSets(now.rules()).renderChangeFrom(new InboundRuleSets(old.rules()), table,
                    ruleChain(now));
            if (change == null) {
                return null;
            }
            out.append(change);
        }
        return out.toString();
    }

    private static String ruleChain(Exposure exposure) {
        return "rules_" + exposure.instanceId().toString().replace("-", "").substring(0, 16);
    }

    private static void requireAddress(String address) {
        if (address == null || !address.matches("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}")) {
            throw new IllegalArgumentException("not an IPv4 address: " + address);
        }
    }

    private static void requireCidr(String cidr) {
        int slash = cidr == null ? -1 : cidr.indexOf('/');
        if (slash < 0 || !cidr.substring(slash + 1).matches("[0-9]|[12][0-9]|3[0-2]")) {
            throw new IllegalArgumentException("not an IPv4 network: " + cidr);
        }
        requireAddress(cidr.substring(0, slash));
    }

    private static void requirePort(int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("not a port: " + port);
        }
    }

    private static String requireMac(String mac) {
        if (!mac.matches("[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}")) {
            throw new IllegalArgumentException("not a MAC address: " + mac);
        }
        return mac.toLowerCase(java.util.Locale.ROOT);
    }

    private static String quote(String name) {
        if (!name.matches("[A-Za-z0-9_.*:-]{1,16}")) {
            throw new IllegalArgumentException("not an interface name: " + name);
        }
        return "\"" + name + "\"";
    }
}

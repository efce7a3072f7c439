package io.multiplicity.agent.network;

import java.util.List;

/**
 * The agent's nftables table, rendered from the host's tenant networks (a pure function, so that
 * what the host gets is exactly what a test reads).
 *
 * <pre>
 * input        from a tenant bridge: DHCP, DNS and ping of the gateway; replies; nothing else
 *              reaches the host (not the panel, the database, Keycloak or SSH)
 * forward      inside one tenant network: open; out of a network whose tenant has egress: only
 *              through the uplink; between tenant networks, to any other interface: dropped;
 *              into a tenant network: replies only
 * postrouting  source NAT to the uplink's address for networks with egress
 * </pre>
 */
final class NftRuleset {

    private NftRuleset() {
    }

    static String render(String table, String prefix, String uplink, List<TenantNetworks.Network> networks) {
        String tenants = quote(prefix + "v*");
        StringBuilder out = new StringBuilder();
        out.append("table inet ").append(table).append(" {\n");

        out.append("  chain input {\n")
                .append("    type filter hook input priority filter; policy accept;\n")
                .append("    iifname ").append(tenants).append(" jump from_tenants\n")
                .append("  }\n");
        out.append("  chain from_tenants {\n")
                .append("    ct state established,related accept\n")
                .append("    udp dport { 53, 67 } accept\n")
                .append("    tcp dport 53 accept\n")
                .append("    icmp type echo-request accept\n")
                .append("    counter drop\n")
                .append("  }\n");

        out.append("  chain forward {\n")
                .append("    type filter hook forward priority filter; policy accept;\n")
                .append("    iifname ").append(tenants).append(" jump out_of_tenants\n")
                .append("    oifname ").append(tenants).append(" jump into_tenants\n")
                .append("  }\n");
        out.append("  chain out_of_tenants {\n");
        for (TenantNetworks.Network network : networks) {
            String bridge = quote(network.bridge());
            out.append("    iifname ").append(bridge).append(" oifname ").append(bridge).append(" accept\n");
            if (network.egress() && uplink != null) {
                out.append("    iifname ").append(bridge).append(" oifname ").append(quote(uplink))
                        .append(" ip saddr ").append(network.subnet()).append(" accept\n");
            }
        }
        out.append("    counter drop\n")
                .append("  }\n");
        out.append("  chain into_tenants {\n")
                .append("    ct state established,related accept\n")
                .append("    counter drop\n")
                .append("  }\n");

        out.append("  chain postrouting {\n")
                .append("    type nat hook postrouting priority srcnat; policy accept;\n");
        if (uplink != null) {
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

    private static String quote(String name) {
        if (!name.matches("[A-Za-z0-9_.*:-]{1,16}")) {
            throw new IllegalArgumentException("not an interface name: " + name);
        }
        return "\"" + name + "\"";
    }
}

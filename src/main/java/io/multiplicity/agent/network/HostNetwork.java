package io.multiplicity.agent.network;

import io.multiplicity.agent.support.Command;
import io.multiplicity.agent.support.Command.Result;
import io.multiplicity.host.contract.InstanceSpec.NetworkAttachment;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Host networking for jails: one bridge per tenant network, one veth pair per jail, per-tenant
 * isolation.
 *
 * <p>Each tenant network {@code n} gets its own bridge {@code <prefix>v<n>} carrying the
 * tenant's gateway address, so jails of one tenant share a layer-2 segment and jails of
 * different tenants share none. Routing between tenant bridges through the host is refused by an
 * iptables chain ({@code <prefix>-isolate}, hooked into FORWARD) that drops any packet entering
 * one tenant bridge and leaving by another, whether or not the host forwards IP.
 *
 * <p>A single VLAN-filtering bridge with one VLAN per tenant would serve as well, but needs a
 * kernel with bridge VLAN filtering and 802.1Q, which not every host has; separate bridges work
 * on any kernel with bridging.
 *
 * <p>The jail's network namespace is created by the runtime (inside the jail's user namespace,
 * when it has one, so the jail's root administers its own interfaces). Between the runtime's
 * {@code create} and {@code start}, the host creates a veth pair with one end in that namespace,
 * named {@code eth0}, and the other end a port of the tenant bridge; the jail's init configures
 * the address. The pair disappears with the namespace when the jail stops.
 */
public final class HostNetwork {

    private final String prefix;
    private final java.util.Set<String> readyBridges = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final TenantNetworks tenants;

    /**
     * @param bridgePrefix   the configured bridge name, at most 10 characters
     * @param stateDirectory where the tenant networks' state and dnsmasq files live
     * @param uplink         the host's way out
     */
    public HostNetwork(String bridgePrefix, java.nio.file.Path stateDirectory, TenantNetworks.Uplink uplink) {
        this.prefix = bridgePrefix;
        this.tenants = new TenantNetworks(stateDirectory, bridgePrefix, uplink);
    }

    /** The tenant networks' resolvers, DHCP and nftables rules. */
    public TenantNetworks tenants() {
        return tenants;
    }

    /**
     * Puts an instance on its tenant network's DNS (as {@code <name>.<domain>}) and, given a MAC, a
     * static DHCP lease; applies the network's egress and keeps the instance's port ({@code port},
     * the host end of its veth or tap) to its MAC and address.
     */
    public void join(UUID id, String name, String mac, String port, NetworkAttachment network) {
        if (network != null) {
            tenants.join(tenantBridge(network.tenantNetwork()), id, name, mac, port, network);
        }
    }

    /** Keeps what the metadata service tells the instance about itself; nothing for an instance with no network. */
    public void describe(io.multiplicity.host.contract.InstanceSpec spec) {
        if (spec.network() != null) {
            tenants.describe(spec.id(), spec.name(), spec.network().address(), spec.metadata());
        }
    }

    /**
     * The MAC address of an instance's interface on its tenant network: locally administered,
     * derived from the instance id, the same on every start (DHCP leases and anti-spoofing rules
     * name it).
     */
    public static String mac(UUID id) {
        String hex = id.toString().replace("-", "");
        return "52:54:00:" + hex.substring(0, 2) + ":" + hex.substring(2, 4) + ":" + hex.substring(4, 6);
    }

    /** Takes a destroyed instance off its network; a network left empty loses its resolver, rules and bridge. */
    public synchronized void leave(UUID id) {
        String emptied = tenants.leave(id);
        if (emptied != null) {
            readyBridges.removeIf(ready -> ready.startsWith(emptied + " "));
            if (linkExists(emptied)) {
                Command.run("ip", "link", "delete", "dev", emptied);
            }
        }
    }

    /** The MAC of a tenant network's bridge (its gateway): locally administered, from the network's number. */
    static String bridgeMac(int tenantNetwork) {
        return String.format("02:6d:70:00:%02x:%02x", tenantNetwork >> 8, tenantNetwork & 0xff);
    }

    private static String readSys(String device, String attribute) {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/sys/class/net", device, attribute)).strip();
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /** The bridge of a tenant network. */
    public String tenantBridge(int tenantNetwork) {
        if (tenantNetwork < 1 || tenantNetwork > 4094) {
            throw new IllegalArgumentException("tenant network out of range 1..4094: " + tenantNetwork);
        }
        return prefix + "v" + tenantNetwork;
    }

    /** The host end of a jail's veth pair (fits IFNAMSIZ). */
    public static String hostInterface(UUID id) {
        return "mj" + id.toString().replace("-", "").substring(0, 12);
    }

    public String isolationChain() {
        return prefix + "-isolate";
    }

    /**
     * Everything of a jail's network before the jail exists: the tenant bridge with its gateway and
     * isolation rules, and the jail's membership (its DNS name, DHCP lease and anti-spoofing rules,
     * which name the host end of its veth pair, {@link #hostInterface}). Needs no process of the
     * jail, so it runs while the runtime creates the jail; the pair itself is made once both are
     * done (by the jail's console keeper), so it is never up without its rules. Removes a pair
     * left from an earlier run.
     */
    public void prepare(UUID id, String name, NetworkAttachment network) {
        if (network == null) {
            return;
        }
        ensureTenantBridge(network);
        join(id, name, mac(id), hostInterface(id), network);
        detach(id);
    }

    private static boolean linkExists(String name) {
        return java.nio.file.Files.exists(java.nio.file.Path.of("/sys/class/net", name));
    }

    /** Removes the jail's veth pair if it is still there. Idempotent. */
    public void detach(UUID id) {
        String hostSide = hostInterface(id);
        if (linkExists(hostSide)) {
            Command.run("ip", "link", "delete", "dev", hostSide);
        }
    }

    /** A statistics counter of the host end of the jail's veth pair, 0 when it has none. */
    public long hostInterfaceCounter(UUID id, String counter) {
        String value = readSys(hostInterface(id), "statistics/" + counter);
        try {
            return value == null ? 0 : Long.parseLong(value);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Whether anything of the jail's network is left on the host. */
    public boolean hasTraces(UUID id) {
        return linkExists(hostInterface(id));
    }

    /** Creates the tenant bridge with the gateway address, and the isolation chain. */
    public synchronized String ensureTenantBridge(NetworkAttachment network) {
        String bridge = tenantBridge(network.tenantNetwork());
        String ready = bridge + " " + network.gateway() + "/" + network.prefixLength();
        if (readyBridges.contains(ready) && linkExists(bridge)) {
            return bridge;
        }
        ensureIsolation();
        if (!Command.run("ip", "link", "show", "dev", bridge).ok()) {
            Result created = Command.run("ip", "link", "add", bridge, "type", "bridge");
            if (!created.ok() && !created.stderr().contains("File exists")) {
                created.check();
            }
        }
        if (network.gateway() != null && !network.gateway().isBlank()) {
            String address = network.gateway() + "/" + network.prefixLength();
            if (!Command.check("ip", "-o", "addr", "show", "dev", bridge).contains(" " + address + " ")) {
                Result added = Command.run("ip", "addr", "add", address, "dev", bridge);
                if (!added.ok() && !added.stderr().contains("File exists")) {
                    added.check();
                }
            }
        }
        if (!"3".equals(readSys(bridge, "addr_assign_type"))) {
            // A bridge takes the lowest MAC of its ports unless given one: each jail joining would
            // then be able to change the gateway's MAC under the others' ARP caches.
            Command.run("ip", "link", "set", bridge, "address", bridgeMac(network.tenantNetwork())).check();
        }
        Command.run("ip", "link", "set", bridge, "up").check();
        readyBridges.add(ready);
        return bridge;
    }

    /**
     * Installs the chain dropping traffic routed from one tenant bridge to another. Bridged
     * traffic (inside one tenant bridge, seen by iptables when br_netfilter is loaded) passes.
     */
    public synchronized void ensureIsolation() {
        String chain = isolationChain();
        if (!Command.run("iptables", "-w", "-C", chain, "-i", prefix + "v+", "-o", prefix + "v+", "-j", "DROP").ok()) {
            Command.run("iptables", "-w", "-N", chain);
            Command.run("iptables", "-w", "-F", chain).check();
            Command.run("iptables", "-w", "-A", chain, "-m", "physdev", "--physdev-is-bridged", "-j", "RETURN").check();
            Command.run("iptables", "-w", "-A", chain, "-i", prefix + "v+", "-o", prefix + "v+", "-j", "DROP").check();
        }
        if (!Command.run("iptables", "-w", "-C", "FORWARD", "-j", chain).ok()) {
            Command.run("iptables", "-w", "-I", "FORWARD", "-j", chain).check();
        }
    }

    /** Removes every tenant bridge with no ports left and the isolation chain (tests, uninstall). */
    public void removeAll() {
        tenants.removeAll();
        for (String line : Command.check("ip", "-o", "link", "show", "type", "bridge").lines().toList()) {
            String[] parts = line.split(":\\s+");
            if (parts.length > 1 && parts[1].startsWith(prefix + "v")) {
                Command.run("ip", "link", "delete", "dev", parts[1].split("@")[0]);
            }
        }
        readyBridges.clear();
        String chain = isolationChain();
        Command.run("iptables", "-w", "-D", "FORWARD", "-j", chain);
        Command.run("iptables", "-w", "-F", chain);
        Command.run("iptables", "-w", "-X", chain);
    }
}

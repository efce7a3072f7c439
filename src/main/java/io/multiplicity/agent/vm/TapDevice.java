package io.multiplicity.agent.vm;

import io.multiplicity.agent.network.HostNetwork;
import io.multiplicity.agent.support.Command;
import io.multiplicity.host.contract.InstanceSpec.NetworkAttachment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * A VM's tap device: a port of its tenant's bridge, like a jail's veth, so VMs share the jails'
 * addressing and isolation ({@link HostNetwork}). The tap is persistent: it exists from the VM's
 * start to its stop, whether or not a monitor holds it open.
 */
public final class TapDevice {

    private TapDevice() {
    }

    /** The tap's name (fits IFNAMSIZ). */
    public static String name(UUID id) {
        return "mv" + id.toString().replace("-", "").substring(0, 12);
    }

    /** The VM's MAC address on its tenant network ({@link HostNetwork#mac}). */
    public static String mac(UUID id) {
        return HostNetwork.mac(id);
    }

    /** Creates the tap (again, if one is left over) and plugs it into the tenant's bridge. */
    public static String attach(HostNetwork network, UUID id, NetworkAttachment attachment) {
        String bridge = network.ensureTenantBridge(attachment);
        String tap = name(id);
        if (exists(tap)) {
            Command.run("ip", "link", "delete", "dev", tap);
        }
        Command.run("ip", "tuntap", "add", "dev", tap, "mode", "tap").check();
        Command.run("ip", "link", "set", "dev", tap, "master", bridge, "up").check();
        return tap;
    }

    /** Removes the tap; nothing to do if it is gone. */
    public static void detach(UUID id) {
        String tap = name(id);
        if (exists(tap)) {
            Command.run("ip", "link", "delete", "dev", tap);
        }
    }

    /**
     * A counter of the tap's host end ({@code rx_bytes}, {@code tx_bytes}, …); 0 when there is no tap.
     * The host end receives what the guest sends and sends what the guest receives.
     */
    public static long counter(UUID id, String counter) {
        try {
            return Long.parseLong(Files.readString(Path.of("/sys/class/net", name(id), "statistics", counter)).strip());
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    public static boolean exists(String tap) {
        return Files.exists(Path.of("/sys/class/net", tap));
    }
}

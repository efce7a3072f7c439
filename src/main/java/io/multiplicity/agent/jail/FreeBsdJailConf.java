package io.multiplicity.agent.jail;

import io.multiplicity.host.contract.InstanceSpec;
import io.multiplicity.host.contract.InstanceSpec.NetworkAttachment;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Renders an instance spec as a FreeBSD {@code jail.conf(5)} block: the FreeBSD side of the jail
 * driver, sharing the storage layout of the Linux one (the jail's path is its dataset's
 * mountpoint).
 *
 * <p>Networking mirrors the Linux design: a VNET jail with one {@code epair(4)} whose host side is
 * a member of its tenant's {@code if_bridge(4)} ({@code bridge<tenant network>}, carrying the
 * tenant gateway), so tenants share no layer-2 segment. Limits are applied with {@code rctl(8)}
 * rules added when the jail is created and removed when it stops; the disk size is the dataset's
 * ZFS quota. Root in the jail may use raw sockets and nothing else beyond the defaults: no mounts,
 * no chflags, no SysV IPC across jails, no child jails, {@code enforce_statfs = 2}.
 *
 * <p><b>Not exercised on a FreeBSD host yet</b>: only the rendered text is unit-tested. The
 * parameters follow jail(8), rctl(8) and ifconfig(8) of FreeBSD 14.
 */
public final class FreeBsdJailConf {

    /** The devfs ruleset for VNET jails in the stock {@code /etc/defaults/devfs.rules}. */
    public static final int DEVFS_RULESET = 5;

    private FreeBsdJailConf() {
    }

    /** The jail(8) name of an instance: letters, digits and underscores only. */
    public static String jailName(UUID id) {
        return "mp_" + id.toString().replace("-", "");
    }

    /**
     * The epair unit for an instance: stable for its id, in {@code 0..32767}. Collisions are
     * possible in principle; a host agent on FreeBSD allocates units from its state instead.
     */
    public static int epairUnit(UUID id) {
        return (int) ((id.getLeastSignificantBits() ^ id.getMostSignificantBits()) & 0x7fff);
    }

    /**
     * @param spec        the instance
     * @param path        its root (the mountpoint of its dataset)
     * @param epairUnit   unit number of its epair interface
     * @param pidsLimit   maximum processes
     */
    public static String render(InstanceSpec spec, String path, int epairUnit, int pidsLimit) {
        String name = jailName(spec.id());
        List<String> lines = new ArrayList<>();
        lines.add("# " + spec.name() + " (" + spec.id() + "), tenant " + spec.tenantId());
        lines.add(name + " {");
        parameter(lines, "path", quote(path));
        parameter(lines, "host.hostname", quote(spec.name()));
        parameter(lines, "mount.devfs", null);
        parameter(lines, "devfs_ruleset", Integer.toString(DEVFS_RULESET));
        parameter(lines, "enforce_statfs", "2");
        parameter(lines, "children.max", "0");
        parameter(lines, "securelevel", "2");
        parameter(lines, "allow.raw_sockets", null);
        parameter(lines, "allow.set_hostname", "0");
        parameter(lines, "allow.chflags", "0");
        parameter(lines, "allow.mount", "0");
        parameter(lines, "sysvmsg", "new");
        parameter(lines, "sysvsem", "new");
        parameter(lines, "sysvshm", "new");
        parameter(lines, "exec.clean", null);
        parameter(lines, "exec.stop", quote("/bin/sh /etc/rc.shutdown jail"));
        parameter(lines, "exec.timeout", "30");
        parameter(lines, "stop.timeout", "30");

        List<String> created = new ArrayList<>();
        created.add("/usr/bin/rctl -a jail:" + name + ":memoryuse:deny=" + spec.memoryMiB() + "M");
        created.add("/usr/bin/rctl -a jail:" + name + ":pcpu:deny=" + 100 * spec.vcpus());
        created.add("/usr/bin/rctl -a jail:" + name + ":maxproc:deny=" + pidsLimit);
        List<String> prestart = new ArrayList<>();
        List<String> start = new ArrayList<>();
        List<String> poststop = new ArrayList<>();
        poststop.add("/usr/bin/rctl -r jail:" + name);

        NetworkAttachment network = spec.network();
        if (network == null) {
            parameter(lines, "ip4", quote("disable"));
        } else {
            String bridge = "bridge" + network.tenantNetwork();
            String hostSide = "epair" + epairUnit + "a";
            String jailSide = "epair" + epairUnit + "b";
            parameter(lines, "vnet", null);
            parameter(lines, "vnet.interface", quote(jailSide));
            prestart.add("/sbin/ifconfig " + bridge + " >/dev/null 2>&1 || /sbin/ifconfig " + bridge + " create up");
            if (network.gateway() != null) {
                prestart.add("/sbin/ifconfig " + bridge + " inet " + network.gateway() + "/" + network.prefixLength()
                        + " alias 2>/dev/null || true");
            }
            prestart.add("/sbin/ifconfig epair" + epairUnit + " create up");
            prestart.add("/sbin/ifconfig " + bridge + " addm " + hostSide + " up");
            start.add("/sbin/ifconfig lo0 inet 127.0.0.1/8 up");
            start.add("/sbin/ifconfig " + jailSide + " inet " + network.address() + "/" + network.prefixLength() + " up");
            if (network.gateway() != null) {
                start.add("/sbin/route add default " + network.gateway());
            }
            poststop.add("/sbin/ifconfig " + hostSide + " destroy");
        }
        appendAll(lines, "exec.prestart", prestart);
        appendAll(lines, "exec.created", created);
        start.add("/bin/sh /etc/rc");
        appendAll(lines, "exec.start", start);
        appendAll(lines, "exec.poststop", poststop);
        lines.add("}");
        return String.join("\n", lines) + "\n";
    }

    private static void parameter(List<String> lines, String name, String value) {
        lines.add("    " + name + (value == null ? "" : " = " + value) + ";");
    }

    private static void appendAll(List<String> lines, String name, List<String> commands) {
        for (int i = 0; i < commands.size(); i++) {
            lines.add("    " + name + (i == 0 ? " = " : " += ") + quote(commands.get(i)) + ";");
        }
    }

    static String quote(String value) {
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"").replace("$", "\\$") + "\"";
    }
}

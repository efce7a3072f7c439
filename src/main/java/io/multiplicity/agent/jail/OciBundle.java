package io.multiplicity.agent.jail;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.multiplicity.host.contract.InstanceSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Generates the OCI runtime configuration ({@code config.json}) of a jail from its instance spec.
 *
 * <p>The jail gets its own PID, mount, UTS, IPC, network and cgroup namespaces, and a user
 * namespace where the host allows one (root in the jail is then an unprivileged id range on the
 * host, see {@link IdShift}). The host moves the jail's end of a veth pair into its network
 * namespace between {@code create} and {@code start}. Its root is the instance dataset's
 * mountpoint, its hostname the instance name, and its init ({@code /sbin/init} of the image) runs
 * as PID 1 on a console PTY. Root inside the jail keeps a capability set like a FreeBSD jail's
 * root: it owns its files, processes and its own network stack, and cannot load modules, change
 * the clock, mount, trace or reach devices. A seccomp allowlist ({@link SeccompProfile}) refuses
 * (EPERM) every system call a jail has no use for.
 */
public final class OciBundle {

    /**
     * Capabilities kept by root inside a jail. {@code CAP_SYS_BOOT} lets the jail's init power off
     * or reboot the jail itself: reboot(2) in a PID namespace other than the host's only ends that
     * namespace's init (with SIGINT or SIGHUP, which the host reads as "stopped" or "reboot me"),
     * never the host.
     */
    public static final List<String> CAPABILITIES = List.of(
            "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
            "CAP_SETUID", "CAP_SETPCAP", "CAP_SETFCAP", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW",
            "CAP_NET_ADMIN", "CAP_SYS_CHROOT", "CAP_AUDIT_WRITE", "CAP_SYS_BOOT");

    /**
     * Capabilities systemd and its services use, added for systemd jails in a user namespace only,
     * where they act on the jail's own namespaces (mounts for services' sandboxes, its cgroup tree,
     * resource limits), never on the host's.
     */
    public static final List<String> SYSTEMD_CAPABILITIES = List.of(
            "CAP_SYS_ADMIN", "CAP_SYS_RESOURCE", "CAP_SYS_NICE", "CAP_DAC_READ_SEARCH", "CAP_IPC_LOCK",
            "CAP_IPC_OWNER", "CAP_LEASE", "CAP_SYS_PTRACE");

    /** The file the host writes a systemd jail's network configuration to, read by systemd-networkd. */
    static final String NETWORKD_FILE = "/run/systemd/network/10-multiplicity.network";

    /**
     * What the host gives a jail beside its spec.
     *
     * @param init          the kind of init its image runs
     * @param resolvConf    host file bound read-only at {@code /etc/resolv.conf} (the tenant
     *                      network's resolver), or null
     * @param networkConfig host file bound read-only at {@link #NETWORKD_FILE} (systemd jails'
     *                      address and gateway, for systemd-networkd), or null
     * @param lxcfs         a mounted LXCFS whose files replace the jail's {@code /proc} ones, or null
     * @param cpus          host CPUs the jail runs on (cpuset syntax, "0,1"), or null for all of them
     * @param allowances    what its image's admin allowed beyond the default seccomp profile
     */
    public record JailSetup(JailInit init, Path resolvConf, Path networkConfig, Path lxcfs, String cpus,
            Set<SeccompProfile.Allowance> allowances) {

        public JailSetup {
            init = init == null ? JailInit.PLAIN : init;
            allowances = allowances == null ? Set.of() : Set.copyOf(allowances);
        }

        public JailSetup(JailInit init, Path resolvConf, Path networkConfig, Path lxcfs, String cpus) {
            this(init, resolvConf, networkConfig, lxcfs, cpus, Set.of());
        }

        /** A jail with no extras: its image's init, no resolver, no LXCFS, every CPU. */
        public static JailSetup plain() {
            return new JailSetup(JailInit.PLAIN, null, null, null, null, Set.of());
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final long MIB = 1L << 20;
    private static final long CPU_PERIOD_MICROS = 100_000;

    private OciBundle() {
    }

    /**
     * The configuration of one jail.
     *
     * @param spec          the instance
     * @param root          its root directory (the dataset's mountpoint)
     * @param cgroupsPath   its cgroup, e.g. {@code /multiplicity/<id>}
     * @param pidsLimit     maximum processes
     * @param idBase        first host uid and gid of its user namespace ({@link IdShift#RANGE} ids),
     *                      or -1 to run without a user namespace
     */
    public static Map<String, Object> config(InstanceSpec spec, Path root, String cgroupsPath, int pidsLimit,
            int idBase) {
        return config(spec, root, cgroupsPath, pidsLimit, idBase, JailSetup.plain());
    }

    /** The configuration of one jail with what the host gives it beside its spec ({@link JailSetup}). */
    public static Map<String, Object> config(InstanceSpec spec, Path root, String cgroupsPath, int pidsLimit,
            int idBase, JailSetup setup) {
        Map<String, Object> config = new LinkedHashMap<>();
        boolean userNamespace = idBase >= 0;
        boolean systemd = setup.init() == JailInit.SYSTEMD;
        config.put("ociVersion", "1.0.2");
        config.put("process", process(spec, systemd && userNamespace));
        config.put("root", Map.of("path", root.toString(), "readonly", false));
        config.put("hostname", spec.name());
        List<Map<String, Object>> mounts = mounts(userNamespace, systemd);
        if (setup.resolvConf() != null) {
            mounts.add(mount("/etc/resolv.conf", "bind", setup.resolvConf().toString(),
                    List.of("rbind", "ro", "nosuid", "nodev", "noexec")));
        }
        if (setup.networkConfig() != null) {
            mounts.add(mount(NETWORKD_FILE, "bind", setup.networkConfig().toString(),
                    List.of("rbind", "ro", "nosuid", "nodev", "noexec")));
        }
        if (setup.lxcfs() != null) {
            for (String file : Lxcfs.VIRTUALIZED) {
                if (Files.exists(setup.lxcfs().resolve(file))) {
                    mounts.add(mount("/" + file, "bind", setup.lxcfs().resolve(file).toString(),
                            List.of("bind", "ro", "nosuid", "nodev", "noexec")));
                }
            }
        }
        config.put("mounts", mounts);
        Map<String, Object> linux = new LinkedHashMap<>();
        List<Map<String, Object>> namespaces = new ArrayList<>(List.of(
                Map.of("type", "pid"), Map.of("type", "mount"), Map.of("type", "uts"), Map.of("type", "ipc"),
                Map.of("type", "network"), Map.of("type", "cgroup")));
        if (userNamespace) {
            namespaces.add(Map.of("type", "user"));
            List<Map<String, Object>> mapping = List.of(
                    Map.of("containerID", 0, "hostID", idBase, "size", IdShift.RANGE));
            linux.put("uidMappings", mapping);
            linux.put("gidMappings", mapping);
        }
        linux.put("namespaces", namespaces);
        linux.put("cgroupsPath", cgroupsPath);
        linux.put("resources", resources(spec.vcpus(), spec.memoryMiB(), pidsLimit, setup.cpus()));
        linux.put("maskedPaths", List.of("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
                "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap"));
        linux.put("readonlyPaths", List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                "/proc/sysrq-trigger"));
        linux.put("seccomp", SeccompProfile.of(systemd && userNamespace, setup.allowances()));
        config.put("linux", linux);
        return config;
    }

    /** The resources block, also what a live resize applies. */
    public static Map<String, Object> resources(int vcpus, int memoryMiB, int pidsLimit) {
        return resources(vcpus, memoryMiB, pidsLimit, null);
    }

    /** The resources block of a jail that runs on the host CPUs {@code cpus} (null: on all of them). */
    public static Map<String, Object> resources(int vcpus, int memoryMiB, int pidsLimit, String cpus) {
        Map<String, Object> resources = new LinkedHashMap<>();
        resources.put("devices", List.of(Map.of("allow", false, "access", "rwm")));
        long memory = memoryMiB * MIB;
        resources.put("memory", Map.of("limit", memory, "swap", memory));
        Map<String, Object> cpu = new LinkedHashMap<>(Map.of("shares", 1024L * Math.max(1, vcpus),
                "quota", CPU_PERIOD_MICROS * Math.max(1, vcpus), "period", CPU_PERIOD_MICROS));
        if (cpus != null) {
            cpu.put("cpus", cpus);
        }
        resources.put("cpu", cpu);
        resources.put("pids", Map.of("limit", pidsLimit));
        return resources;
    }

    private static Map<String, Object> process(InstanceSpec spec, boolean systemdCapabilities) {
        // container= tells systemd it runs in a container; container_uuid becomes its machine id.
        List<String> env = new ArrayList<>(List.of(
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
                "HOME=/root", "container=multiplicity", "container_uuid=" + spec.id().toString().replace("-", ""),
                "MULTIPLICITY_HOSTNAME=" + spec.name()));
        InstanceSpec.NetworkAttachment network = spec.network();
        if (network != null) {
            env.add("MULTIPLICITY_ADDRESS=" + network.address() + "/" + network.prefixLength());
            if (network.gateway() != null) {
                env.add("MULTIPLICITY_GATEWAY=" + network.gateway());
            }
        }
        Map<String, Object> process = new LinkedHashMap<>();
        process.put("terminal", true);
        process.put("user", Map.of("uid", 0, "gid", 0));
        process.put("args", List.of("/sbin/init"));
        process.put("env", env);
        process.put("cwd", "/");
        List<String> capabilities = new ArrayList<>(CAPABILITIES);
        if (systemdCapabilities) {
            capabilities.addAll(SYSTEMD_CAPABILITIES);
        }
        process.put("capabilities", Map.of(
                "bounding", capabilities, "effective", capabilities, "permitted", capabilities));
        process.put("rlimits", List.of(Map.of("type", "RLIMIT_NOFILE", "hard", 4096, "soft", 1024)));
        process.put("noNewPrivileges", false);
        return process;
    }

    /**
     * Standard mounts. In a user namespace the jail cannot mount sysfs of the host's kernel
     * objects, so {@code /sys} is a read-only bind of the host's; its {@code /sys/fs/cgroup},
     * which would show every instance's cgroup, is covered by a cgroup v2 mount of the jail's own
     * cgroup namespace, whose root is the jail's cgroup: a jail sees its own cgroup tree and no
     * other's. A plain jail's is read-only; a systemd jail's is writable (see
     * {@link CgroupDelegation}), and it also gets tmpfs on {@code /run/lock} and {@code /tmp}.
     */
    private static List<Map<String, Object>> mounts(boolean userNamespace, boolean systemd) {
        List<Map<String, Object>> mounts = new ArrayList<>(List.of(
                mount("/proc", "proc", "proc", List.of("nosuid", "noexec", "nodev")),
                mount("/dev", "tmpfs", "tmpfs", List.of("nosuid", "strictatime", "mode=755", "size=65536k")),
                mount("/dev/pts", "devpts", "devpts",
                        List.of("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5")),
                mount("/dev/shm", "tmpfs", "shm", List.of("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")),
                mount("/dev/mqueue", "mqueue", "mqueue", List.of("nosuid", "noexec", "nodev")),
                mount("/run", "tmpfs", "tmpfs", List.of("nosuid", "nodev", "mode=755", "size=16384k"))));
        if (userNamespace) {
            mounts.add(mount("/sys", "none", "/sys", List.of("rbind", "nosuid", "noexec", "nodev", "ro")));
            if (!systemd && CgroupDelegation.available()) {
                mounts.add(mount("/sys/fs/cgroup", "cgroup2", "cgroup2",
                        List.of("nosuid", "noexec", "nodev", "relatime", "ro")));
            }
        } else {
            mounts.add(mount("/sys", "sysfs", "sysfs", List.of("nosuid", "noexec", "nodev", "ro")));
            if (!systemd) {
                mounts.add(mount("/sys/fs/cgroup", "cgroup", "cgroup",
                        List.of("nosuid", "noexec", "nodev", "relatime", "ro")));
            }
        }
        if (systemd) {
            mounts.add(mount("/sys/fs/cgroup", "cgroup2", "cgroup2", List.of("nosuid", "noexec", "nodev", "relatime")));
            mounts.add(mount("/run/lock", "tmpfs", "tmpfs", List.of("nosuid", "nodev", "noexec", "mode=1777", "size=5120k")));
            mounts.add(mount("/tmp", "tmpfs", "tmpfs", List.of("nosuid", "nodev", "mode=1777", "size=262144k")));
        }
        return mounts;
    }

    private static Map<String, Object> mount(String destination, String type, String source, List<String> options) {
        Map<String, Object> mount = new LinkedHashMap<>();
        mount.put("destination", destination);
        mount.put("type", type);
        mount.put("source", source);
        mount.put("options", options);
        return mount;
    }

    /** Writes {@code config.json} into the bundle directory atomically. */
    public static void write(Path bundle, Map<String, Object> config) {
        try {
            Files.createDirectories(bundle);
            Path temporary = bundle.resolve("config.json.tmp");
            JSON.writeValue(temporary.toFile(), config);
            Files.move(temporary, bundle.resolve("config.json"), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

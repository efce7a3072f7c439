package io.multiplicity.agent.driver;

import io.multiplicity.agent.network.TenantNetworks.Uplink;
import io.multiplicity.agent.storage.ZfsStorage;
import io.multiplicity.agent.support.Programs;
import java.nio.file.Path;

/**
 * Configuration of the host agent. The control plane maps it from its own configuration; every
 * field has a single-node default (see {@link #defaults()}).
 *
 * @param dataDirectory  where the agent keeps its state: the pool file (when it creates one),
 *                       jail bundles, runtime state. Default {@code data} relative to the
 *                       working directory.
 * @param poolName       ZFS pool holding images and instances; used as is when it exists
 * @param poolFile       file backing the pool when the agent has to create it; relative paths
 *                       resolve against {@code dataDirectory}
 * @param poolSizeGiB    size of that (sparse) file
 * @param bridge         name of the host bridge the jails attach to (at most 10 characters, so
 *                       VLAN sub-interfaces like {@code mpbr0.4094} still fit IFNAMSIZ)
 * @param runtime        OCI runtime: {@code auto} (crun where cgroup v2 is unified, else runc),
 *                       {@code runc} or {@code crun}
 * @param consoleKeeper  the console-keeper program; null to look in {@code target/native} and
 *                       on the PATH
 * @param pidsLimit      maximum number of processes in one jail
 * @param uplink         the host's way out for tenant networks with egress, and the resolvers
 *                       their DNS forwards to
 * @param userNamespaces run each jail in its own user namespace (its root is an unprivileged id
 *                       range on the host) where the host allows user namespaces
 * @param warmClones     clones of each jail image version in demand kept made ahead, so that
 *                       provisioning a jail takes one instead of cloning (0: none); they are the
 *                       provider's, in no tenant's quota
 */
public record AgentConfig(
        Path dataDirectory,
        String poolName,
        Path poolFile,
        int poolSizeGiB,
        String bridge,
        String runtime,
        Path consoleKeeper,
        int pidsLimit,
        boolean userNamespaces,
        Uplink uplink,
        int warmClones) {

    public AgentConfig {
        if (bridge.length() > 10) {
            throw new IllegalArgumentException("bridge name longer than 10 characters: " + bridge);
        }
        dataDirectory = dataDirectory.toAbsolutePath().normalize();
        uplink = uplink == null ? Uplink.none() : uplink;
        if (warmClones < 0) {
            throw new IllegalArgumentException("warm clones must not be negative: " + warmClones);
        }
    }

    /** Clones made ahead per jail image version when not configured. */
    public static final int DEFAULT_WARM_CLONES = 0;

    /** The single-node defaults: pool {@code multiplicity} on {@code data/zfs/pool.img}. */
    public static AgentConfig defaults() {
        return new AgentConfig(Path.of("data"), "multiplicity", Path.of("zfs/pool.img"), 20, "mpbr0",
                "auto", null, 1024, true, Uplink.none(), DEFAULT_WARM_CLONES);
    }

    public AgentConfig withDataDirectory(Path directory) {
        return new AgentConfig(directory, poolName, poolFile, poolSizeGiB, bridge, runtime, consoleKeeper, pidsLimit, userNamespaces, uplink, warmClones);
    }

    public AgentConfig withPool(String name, int sizeGiB) {
        return new AgentConfig(dataDirectory, name, poolFile, sizeGiB, bridge, runtime, consoleKeeper, pidsLimit, userNamespaces, uplink, warmClones);
    }

    public AgentConfig withBridge(String name) {
        return new AgentConfig(dataDirectory, poolName, poolFile, poolSizeGiB, name, runtime, consoleKeeper, pidsLimit, userNamespaces, uplink, warmClones);
    }

    public AgentConfig withPidsLimit(int limit) {
        return new AgentConfig(dataDirectory, poolName, poolFile, poolSizeGiB, bridge, runtime, consoleKeeper, limit, userNamespaces, uplink, warmClones);
    }

    public AgentConfig withConsoleKeeper(Path program) {
        return new AgentConfig(dataDirectory, poolName, poolFile, poolSizeGiB, bridge, runtime, program, pidsLimit, userNamespaces, uplink, warmClones);
    }

    public AgentConfig withUserNamespaces(boolean enabled) {
        return new AgentConfig(dataDirectory, poolName, poolFile, poolSizeGiB, bridge, runtime, consoleKeeper, pidsLimit,
                enabled, uplink, warmClones);
    }

    public AgentConfig withUplink(Uplink changed) {
        return new AgentConfig(dataDirectory, poolName, poolFile, poolSizeGiB, bridge, runtime, consoleKeeper, pidsLimit,
                userNamespaces, changed, warmClones);
    }

    public AgentConfig withWarmClones(int count) {
        return new AgentConfig(dataDirectory, poolName, poolFile, poolSizeGiB, bridge, runtime, consoleKeeper, pidsLimit,
                userNamespaces, uplink, count);
    }

    /** The pool file as an absolute path. */
    public Path resolvedPoolFile() {
        return dataDirectory.resolve(poolFile).normalize();
    }

    /** Makes sure the pool exists (see {@link ZfsStorage#ensurePool}); returns why it cannot, or null. */
    public String ensurePool(ZfsStorage storage) {
        try {
            storage.ensurePool(resolvedPoolFile(), poolSizeGiB, poolMountpoint(),
                    dataDirectory.resolve("run").resolve("zfs-fuse.pid"));
            return null;
        } catch (RuntimeException e) {
            return "ZFS not usable: " + e.getMessage();
        }
    }

    /** Where a pool the agent creates is mounted. */
    public Path poolMountpoint() {
        return dataDirectory.resolve("zfs").resolve(poolName);
    }

    /** One directory per jail: bundle, console sockets, recorded state. */
    public Path jailsDirectory() {
        return dataDirectory.resolve("jails");
    }

    /** The OCI runtime's own state ({@code --root}). */
    public Path runtimeRoot() {
        return dataDirectory.resolve("run").resolve("oci");
    }

    /** The console-keeper program to run. */
    public Path resolvedConsoleKeeper() {
        return Programs.locate(consoleKeeper, Path.of("target", "native", "console-keeper"), "console-keeper");
    }
}

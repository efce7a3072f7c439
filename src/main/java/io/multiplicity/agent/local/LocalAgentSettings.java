package io.multiplicity.agent.local;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.util.Optional;

/** The in-process host agent of a Linux host: storage, runtime and network settings. */
@ConfigMapping(prefix = "multiplicity.agent")
public interface LocalAgentSettings {

    /** Where the agent keeps its state (pool file, jail bundles, sockets); the data directory by default. */
    Optional<Path> dataDir();

    /** ZFS pool holding images and instances; used as it is when it exists, else created on a file. */
    @WithDefault("multiplicity")
    String poolName();

    /** Size of the file-backed pool the agent creates when the pool does not exist. */
    @WithDefault("20")
    int poolSizeGib();

    /** Host bridge the instances attach to (at most 10 characters). */
    @WithDefault("mpbr0")
    String bridge();

    /**
     * The interface tenant networks with egress leave by (source NAT to its address): {@code auto}
     * (the default route's interface), {@code none} (no egress on this host) or an interface name.
     */
    @WithDefault("auto")
    String uplink();

    /** The resolvers the tenant networks' DNS forwards to; the host's own (/etc/resolv.conf) when unset. */
    Optional<java.util.List<String>> resolvers();

    /** OCI runtime: auto (crun where cgroup v2 is unified, else runc), runc or crun. */
    @WithDefault("auto")
    String runtime();

    /** Most processes one jail may run. */
    @WithDefault("1024")
    int pidsLimit();

    /** Run each jail in its own user namespace where the host allows it. */
    @WithDefault("true")
    boolean userNamespaces();

    /**
     * Clones of each jail image version in demand the agent keeps made ahead (already shifted into
     * an id range of their own), so that creating a jail takes one instead of waiting for a ZFS
     * clone; 0 (the default) keeps none. They are the provider's, in no tenant's quota. A jail
     * that took one keeps its dataset where the clone was made, below {@code <pool>/multiplicity/warm/},
     * not at {@code instances/<id>}: opt in where the start's last few hundred milliseconds matter
     * (zfs-fuse, whose clones are slow) and the tools around the pool know that layout.
     */
    @WithDefault("0")
    int warmClones();

    /** The console-keeper program; looked for in target/native and on the PATH when unset. */
    Optional<Path> consoleKeeper();

    /** The mvm binary; looked for in vmm-native/build and on the PATH when unset. */
    Optional<Path> mvm();

    /** The QEMU system emulator. */
    @WithDefault("qemu-system-x86_64")
    String qemu();

    /**
     * How QEMU runs guests: auto (KVM where it can run the image, else TCG software emulation; a
     * nested KVM runs no stock kernel), kvm or tcg.
     */
    @WithDefault("auto")
    String qemuAccel();

    /** The hypervisor of every VM on this host: auto (chosen per image), mvm or qemu. */
    @WithDefault("auto")
    String vmDriver();

    /** Hypervisors forced per image, as image=driver pairs separated by commas (e.g. tiny-linux=qemu). */
    Optional<String> vmImageDrivers();

    /** What happens when a VM's monitor dies without being asked to stop: never (it stays crashed) or on-crash (restart). */
    @WithDefault("never")
    String vmRestartPolicy();

    /** Where the tiny-linux VM image's kernel and initrd are built; the agent's data directory's vm-images/tiny-linux when unset. */
    Optional<Path> vmImageSource();

    /** Where the debian-vm image's kernel, initrd and disk are (scripts/build-image.sh debian-vm); the agent's data directory's vm-images/debian-vm when unset. */
    Optional<Path> vmDebianImageSource();

    /** First host uid and gid mvm monitors run as, one per VM (jails' user namespaces use 1048576 and the 65535 after it). */
    @WithDefault("2097152")
    int vmMonitorIdBase();

    /** How many monitor ids there are (as many VMs as a host can have); 0 leaves monitors as the agent's user, with their system call filter only. */
    @WithDefault("65536")
    int vmMonitorIdCount();
}

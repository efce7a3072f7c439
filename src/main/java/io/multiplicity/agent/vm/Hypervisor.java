package io.multiplicity.agent.vm;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A virtual machine monitor the host agent can run VMs with: one monitor process per VM. The
 * agent owns the VM's storage, network and state; a hypervisor only turns a {@link Launch} into a
 * command line and asks a running monitor to shut its guest down.
 */
public interface Hypervisor {

    /** The name the panel and admins use for it: {@code mvm} or {@code qemu}. */
    String name();

    /** Its version, or null when it is not installed. */
    String version();

    /** Why VMs cannot run with it on this host, or null when they can. */
    String problem();

    /** What it can do on this host. */
    Capabilities capabilities();

    /** Whether it can boot this image on this host, and if not, why not (null when it can). */
    String cannotRun(VmImage image);

    /** The monitor's command line for one VM. */
    List<String> command(Launch launch);

    /**
     * Whether the command detaches by itself (forks into its own session, writes
     * {@link Launch#pidFile()} and exits once the VM runs); else the agent detaches it.
     */
    boolean detaches();

    /**
     * Asks the guest to shut down (its power button); the monitor exits when it has. Never waits
     * for that; best effort: a monitor that does not answer is forced by the caller.
     */
    void requestShutdown(Launch launch, Duration timeout);

    /**
     * Whether a monitor that is gone ended because its guest powered off (a clean exit), rather
     * than by a crash or a kill; its launch's pid file and the exit status the agent saw, when it
     * saw one (it does only for monitors it started itself and did not detach).
     */
    boolean guestPoweredOff(Launch launch, Integer exitStatus);

    /**
     * Tells a running monitor that the VM's disk file grew to {@code bytes}, so the guest sees the
     * new size now. Returns false when the monitor cannot (the guest sees it at its next start).
     */
    default boolean diskGrew(Launch launch, long bytes) {
        return false;
    }

    /**
     * What a hypervisor offers on this host.
     *
     * @param directKernelBoot boots a kernel and initrd without firmware
     * @param firmware         boots firmware (BIOS or UEFI) from a disk or an ISO
     * @param graphics         a framebuffer served over VNC
     * @param hardwareAccel    runs guests on KVM here
     * @param softwareEmulation can emulate the CPU (runs where KVM cannot run the guest)
     */
    record Capabilities(boolean directKernelBoot, boolean firmware, boolean graphics, boolean hardwareAccel,
            boolean softwareEmulation) {

        /** As the host's facts show them: {@code kernel-boot,firmware,graphics,kvm,tcg} (those it has). */
        String describe() {
            List<String> can = new ArrayList<>();
            if (directKernelBoot) {
                can.add("kernel-boot");
            }
            if (firmware) {
                can.add("firmware");
            }
            if (graphics) {
                can.add("graphics");
            }
            if (hardwareAccel) {
                can.add("kvm");
            }
            if (softwareEmulation) {
                can.add("tcg");
            }
            return String.join(",", can);
        }
    }

    /**
     * Everything one VM's monitor is started with.
     *
     * @param id           instance id (part of the monitor's command line, so an agent can
     *                     recognise the process after a restart)
     * @param name         instance name (hostname of the guest)
     * @param vcpus        virtual CPUs
     * @param memoryMiB    guest memory
     * @param kernel       kernel to boot directly, null for firmware boot
     * @param initrd       initial ramdisk, or null
     * @param cmdline      kernel command line
     * @param disk         the VM's disk (a raw file)
     * @param tap          tap device of its network interface, or null for none
     * @param mac          MAC address of its network interface
     * @param serialSocket unix socket of the serial console
     * @param vncSocket    unix socket of the VNC server, or null without graphics
     * @param controlSocket unix socket of the monitor's control channel (mvm control, QEMU QMP)
     * @param consoleLog   file the monitor appends the serial console output to, where it can
     * @param pidFile      file holding the monitor's pid, for monitors that detach
     * @param accel        {@code kvm} or {@code tcg} (QEMU)
     * @param confinement  what the monitor confines itself to once its devices are open, or null
     *                     to leave it as the agent's user
     */
    record Launch(String id, String name, int vcpus, int memoryMiB, Path kernel, Path initrd, String cmdline,
            Path disk, String tap, String mac, Path serialSocket, Path vncSocket, Path controlSocket,
            Path consoleLog, Path pidFile, String accel, Confinement confinement) {
    }

    /**
     * A monitor started as root opens its devices, disk and sockets, then runs as an unprivileged
     * uid and gid of its own (no groups, no capabilities), in a mount namespace whose root is an
     * empty file system mounted on {@code root}.
     *
     * @param uid  host uid, this VM's alone
     * @param gid  host gid, this VM's alone
     * @param root an empty directory the monitor mounts its own root on (only in its namespace)
     */
    record Confinement(int uid, int gid, Path root) {
    }
}

package io.multiplicity.agent.vm;

import io.multiplicity.agent.network.MetadataService;
import io.multiplicity.agent.support.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * QEMU, for any guest: direct kernel boot, firmware boot (SeaBIOS) from a disk or ISO, and TCG
 * software emulation where KVM cannot run the guest. The serial console, VNC and QMP are unix
 * sockets; the serial output is also appended to a log.
 */
public final class QemuHypervisor implements Hypervisor {

    /** The id of the VM's disk in QEMU (for QMP). */
    private static final String DISK = "disk0";

    private final String program;
    private final String accel;
    private String version;
    private boolean probed;

    /**
     * @param program the QEMU system emulator ({@code qemu-system-x86_64})
     * @param accel   {@code auto} (KVM where it can run the image, else TCG), {@code kvm} or
     *                {@code tcg}
     */
    public QemuHypervisor(String program, String accel) {
        if (!List.of("auto", "kvm", "tcg").contains(accel)) {
            throw new IllegalArgumentException("qemu accel must be auto, kvm or tcg: " + accel);
        }
        this.program = program;
        this.accel = accel;
    }

    @Override
    public String name() {
        return "qemu";
    }

    @Override
    public synchronized String version() {
        if (!probed) {
            Command.Result result = Command.run(program, "--version");
            if (result.ok()) {
                String first = result.stdout().lines().findFirst().orElse("");
                int at = first.indexOf("version ");
                version = at < 0 ? first.strip() : first.substring(at + 8).split("[ (]")[0];
            }
            probed = true;
        }
        return version;
    }

    @Override
    public String problem() {
        if (version() == null) {
            return program + " not found (install qemu-system-x86)";
        }
        if ("kvm".equals(accel) && !KvmHost.usable()) {
            return "qemu is set to KVM, but " + KvmHost.MISSING;
        }
        return null;
    }

    @Override
    public Capabilities capabilities() {
        return new Capabilities(true, true, true, !"tcg".equals(accel) && KvmHost.usable(), !"kvm".equals(accel));
    }

    @Override
    public String cannotRun(VmImage image) {
        if (problem() != null) {
            return problem();
        }
        if ("kvm".equals(accel) && KvmHost.cannotRun(image) != null) {
            return "qemu is set to KVM: " + KvmHost.cannotRun(image);
        }
        return null;
    }

    /** How it accelerates this image here: {@code kvm} or {@code tcg}. */
    public String accelFor(VmImage image) {
        return switch (accel) {
            case "kvm" -> "kvm";
            case "tcg" -> "tcg";
            default -> KvmHost.cannotRun(image) == null ? "kvm" : "tcg";
        };
    }

    /** What {@code auto} picks for stock kernels on this host, and why, for the host's facts. */
    public String accelSummary() {
        if (!"auto".equals(accel)) {
            return accel + " (set by the host's configuration)";
        }
        String stock = KvmHost.cannotRun(new VmImage("kernel", false, true, "", null, false));
        return stock == null ? "kvm" : "kvm for purpose-built guests, tcg for stock kernels (" + stock + ")";
    }

    @Override
    public List<String> command(Launch launch) {
        List<String> command = new ArrayList<>(List.of(program,
                "-name", "multiplicity-" + launch.id() + ",process=qemu-" + launch.name(),
                "-machine", "q35", "-accel", launch.accel(),
                "-cpu", "kvm".equals(launch.accel()) ? "host" : "max",
                "-smp", Integer.toString(launch.vcpus()), "-m", Integer.toString(launch.memoryMiB()),
                "-nodefaults", "-no-user-config",
                "-drive", "file=" + launch.disk() + ",format=raw,if=virtio,cache=writeback,id=" + DISK,
                "-chardev", "socket,id=serial0,path=" + launch.serialSocket() + ",server=on,wait=off,logfile="
                        + launch.consoleLog() + ",logappend=on",
                "-serial", "chardev:serial0",
                "-qmp", "unix:" + launch.controlSocket() + ",server=on,wait=off",
                "-pidfile", launch.pidFile().toString(), "-daemonize",
                // cloud-init's NoCloud datasource finds the metadata service by the serial number.
                "-smbios", "type=1,serial=" + MetadataService.NOCLOUD_SEED,
                // QEMU's seccomp filter, installed while it parses its options: no obsolete system
                // calls, no scheduler or CPU-affinity changes. Not spawn=deny: -daemonize forks after
                // the filter is in place. Not elevateprivileges=deny: it would refuse the setuid of
                // -runas below, which also happens after the filter; once QEMU runs as its own uid,
                // without capabilities, there is nothing left to elevate to but setuid programs.
                "-sandbox", "on,obsolete=deny,resourcecontrol=deny"));
        if (launch.confinement() != null) {
            // QEMU opens its disk, tap, sockets and log as root, then runs as the VM's own uid and gid.
            Hypervisor.Confinement confinement = launch.confinement();
            command.addAll(List.of("-runas", confinement.uid() + ":" + confinement.gid()));
        }
        if (launch.kernel() != null) {
            command.addAll(List.of("-kernel", launch.kernel().toString(), "-append", launch.cmdline()));
            if (launch.initrd() != null) {
                command.addAll(List.of("-initrd", launch.initrd().toString()));
            }
        }
        if (launch.tap() != null) {
            command.addAll(List.of("-netdev", "tap,id=net0,ifname=" + launch.tap() + ",script=no,downscript=no",
                    "-device", "virtio-net-pci,netdev=net0,mac=" + launch.mac()));
        }
        if (launch.vncSocket() != null) {
            command.addAll(List.of("-vga", "std", "-display", "none", "-vnc", "unix:" + launch.vncSocket()));
        } else {
            command.addAll(List.of("-display", "none"));
        }
        return command;
    }

    @Override
    public boolean detaches() {
        return true;
    }

    /**
     * QEMU removes its pid file whenever it exits by itself: its guest powered off (or a SIGTERM
     * or a QMP quit asked it to end, which only the agent's own stop does). Killed (SIGKILL, the
     * OOM killer) or crashed, it leaves the file behind.
     */
    @Override
    public boolean guestPoweredOff(Launch launch, Integer exitStatus) {
        return launch.pidFile() != null && !Files.exists(launch.pidFile());
    }

    @Override
    public boolean diskGrew(Launch launch, long bytes) {
        try {
            List<String> replies = ControlSocket.exchange(launch.controlSocket(), true,
                    "{\"execute\":\"qmp_capabilities\"}",
                    "{\"execute\":\"block_resize\",\"arguments\":{\"device\":\"" + DISK + "\",\"size\":" + bytes
                            + "}}");
            return replies.size() == 3 && replies.get(2) != null && replies.get(2).contains("\"return\"");
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void requestShutdown(Launch launch, Duration timeout) {
        try {
            ControlSocket.exchange(launch.controlSocket(), true, "{\"execute\":\"qmp_capabilities\"}",
                    "{\"execute\":\"system_powerdown\"}");
        } catch (IOException e) {
            // no answer: the caller forces it
        }
    }
}

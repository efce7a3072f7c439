package io.multiplicity.agent.vm;

import io.multiplicity.agent.network.MetadataService;
import io.multiplicity.agent.support.Programs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * mvm, Multiplicity's own microVM monitor (vmm-native/): direct kernel boot on KVM, virtio-mmio
 * devices, the serial console and VNC on unix sockets, a JSON-lines control socket. Given a
 * {@link Confinement}, it opens everything as root, then enters its jail, drops to the VM's own uid
 * and installs its seccomp filter before the guest runs.
 */
public final class MvmHypervisor implements Hypervisor {

    private final Path program;

    /** @param program the mvm binary */
    public MvmHypervisor(Path program) {
        this.program = program;
    }

    /** The configured program, else vmm-native's build output, else {@code mvm} on the PATH. */
    public static Path locate(Path configured) {
        return Programs.locate(configured, Path.of("vmm-native", "build", "mvm"), "mvm");
    }

    public Path program() {
        return program;
    }

    @Override
    public String name() {
        return "mvm";
    }

    @Override
    public String version() {
        return Files.isExecutable(program) ? "built-in" : null;
    }

    @Override
    public String problem() {
        if (!Files.isExecutable(program)) {
            return "mvm not found at " + program + " (build it: make -C vmm-native)";
        }
        if (!KvmHost.usable()) {
            return "mvm needs KVM: " + KvmHost.MISSING;
        }
        return null;
    }

    @Override
    public Capabilities capabilities() {
        return new Capabilities(true, false, true, true, false);
    }

    @Override
    public String cannotRun(VmImage image) {
        if (problem() != null) {
            return problem();
        }
        if (!image.directKernelBoot()) {
            return "mvm boots kernels directly and has no firmware";
        }
        return KvmHost.cannotRun(image);
    }

    @Override
    public List<String> command(Launch launch) {
        List<String> command = new ArrayList<>(List.of(program.toString(),
                "--kernel", launch.kernel().toString(),
                "--memory", Integer.toString(launch.memoryMiB()),
                "--cpus", Integer.toString(launch.vcpus()),
                // cloud-init's NoCloud datasource finds the metadata service on the command line.
                "--cmdline", launch.cmdline() + " " + MetadataService.NOCLOUD_SEED,
                "--disk", launch.disk().toString(),
                "--serial", launch.serialSocket().toString(),
                "--control", launch.controlSocket().toString(),
                "--rng"));
        if (launch.initrd() != null) {
            command.addAll(List.of("--initrd", launch.initrd().toString()));
        }
        if (launch.tap() != null) {
            command.addAll(List.of("--tap", launch.tap() + ",mac=" + launch.mac()));
        }
        if (launch.vncSocket() != null) {
            command.addAll(List.of("--vnc", launch.vncSocket().toString()));
        }
        Confinement confinement = launch.confinement();
        if (confinement != null) {
            command.addAll(List.of("--jail", confinement.root().toString(),
                    "--uid", Integer.toString(confinement.uid()), "--gid", Integer.toString(confinement.gid())));
        }
        return command;
    }

    @Override
    public boolean detaches() {
        return false;
    }

    /** mvm exits with status 0 when its guest powered off (1 monitor error, 2 guest reboot, 3 killed). */
    @Override
    public boolean guestPoweredOff(Launch launch, Integer exitStatus) {
        return exitStatus != null && exitStatus == 0;
    }

    @Override
    public void requestShutdown(Launch launch, Duration timeout) {
        long seconds = Math.max(1, timeout.toSeconds());
        try {
            ControlSocket.exchange(launch.controlSocket(), false, "{\"cmd\":\"stop\",\"timeout_s\":" + seconds + "}");
        } catch (IOException e) {
            // the monitor does not answer: the caller forces it
        }
    }

    /** The test guests vmm-native builds beside the monitor ({@code build/guests/*.elf}). */
    public Path testGuest(String name) {
        return program.getParent().resolve("guests").resolve(name + ".elf");
    }
}

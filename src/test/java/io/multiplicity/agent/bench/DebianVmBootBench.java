package io.multiplicity.agent.bench;

import io.multiplicity.agent.jail.JailDriver;
import io.multiplicity.agent.jail.JailHost;
import io.multiplicity.agent.network.TenantNetworks.Uplink;
import io.multiplicity.agent.support.Command;
import io.multiplicity.agent.vm.VmConfig;
import io.multiplicity.agent.vm.VmDriver;
import io.multiplicity.agent.vm.VmImageBuilder;
import io.multiplicity.host.contract.InstanceMetadata;
import io.multiplicity.host.contract.InstanceSpec;
import io.multiplicity.host.contract.InstanceSpec.NetworkAttachment;
import io.multiplicity.host.contract.InstanceStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * The Debian VM's time from create to SSH-able, through the host agent's VM driver on whichever
 * hypervisor it picks here (QEMU under TCG on a machine without KVM): from the {@code provision}
 * call (a ZFS clone of the debian-vm image) through {@code start} to the first {@code ssh -i key
 * root@<address> true} that succeeds, with the key given at create (so cloud-init has fetched it
 * from the metadata service and sshd runs). Each run is a new VM (first boot: cloud-init does all
 * its work), destroyed afterwards.
 *
 * <p>Arguments: the image's build directory ({@code data/vm-images/debian-vm}) and the number of
 * runs. Prints one line per run, then {@code debian-vm: ssh_ms=<median> runs=<n> driver=<hypervisor/accel>}.
 */
public final class DebianVmBootBench {

    static final Duration TIMEOUT = Duration.ofMinutes(8);

    private DebianVmBootBench() {
    }

    public static void main(String[] arguments) throws Exception {
        Path source = Path.of(arguments.length > 0 ? arguments[0] : "data/vm-images/debian-vm").toAbsolutePath();
        int runs = arguments.length > 1 ? Integer.parseInt(arguments[1]) : 1;
        String reason = JailHost.unavailableReason();
        if (reason == null && !Files.isRegularFile(source.resolve("disk.raw"))) {
            reason = "the debian-vm image is not built (bash scripts/build-image.sh debian-vm)";
        }
        if (reason != null) {
            System.out.println("debian-vm: skipped: " + reason);
            return;
        }
        Path keys = Files.createTempDirectory("debian-vm-bench");
        Command.run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", keys.resolve("key").toString()).check();
        String publicKey = Files.readString(keys.resolve("key.pub")).strip();
        try (JailHost host = new JailHost("debian-vm-bench", 128, 8).withUplink(Uplink.none())) {
            JailDriver jails = host.start();
            long importing = System.nanoTime();
            try (VmDriver vms = new VmDriver(host.config(), VmConfig.defaults().withDebianImageSource(source),
                    jails.storage(), jails.network())) {
                System.out.printf(Locale.ROOT, "debian-vm: image imported into the host's ZFS in %d ms%n",
                        (System.nanoTime() - importing) / 1_000_000);
                double[] millis = new double[runs];
                String driver = "?";
                for (int run = 0; run < runs; run++) {
                    InstanceSpec spec = new InstanceSpec(UUID.randomUUID(), UUID.randomUUID(), "bench" + run, "vm",
                            VmImageBuilder.DEBIAN_VM, 2, 768, 3,
                            new NetworkAttachment(63, "10.237.63." + (10 + run), 24, "10.237.63.1"),
                            new InstanceMetadata(List.of(publicKey), null));
                    long began = System.nanoTime();
                    try {
                        vms.provision(spec);
                        InstanceStatus status = vms.start(spec);
                        driver = status.detail();
                        long deadline = began + TIMEOUT.toNanos();
                        while (!ssh(keys.resolve("key"), spec.network().address()).ok()) {
                            if (System.nanoTime() > deadline) {
                                throw new IllegalStateException("no SSH login within " + TIMEOUT);
                            }
                            Thread.sleep(1000);
                        }
                        millis[run] = (System.nanoTime() - began) / 1e6;
                        System.out.printf(Locale.ROOT, "debian-vm: run %d: create to SSH-able %.0f ms (%s)%n", run + 1,
                                millis[run], driver);
                    } finally {
                        vms.destroy(spec.id());
                    }
                }
                double[] sorted = millis.clone();
                Arrays.sort(sorted);
                double median = runs % 2 == 1 ? sorted[runs / 2] : (sorted[runs / 2 - 1] + sorted[runs / 2]) / 2;
                System.out.printf(Locale.ROOT, "debian-vm: ssh_ms=%.0f runs=%d driver=%s%n", median, runs, driver);
            }
        } finally {
            JailHost.deleteTree(keys);
        }
    }

    private static Command.Result ssh(Path key, String address) {
        return Command.run(List.of("ssh", "-F", "/dev/null", "-i", key.toString(), "-o", "IdentitiesOnly=yes",
                "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "ConnectTimeout=3", "-o", "LogLevel=ERROR", "root@" + address, "true"), null);
    }
}

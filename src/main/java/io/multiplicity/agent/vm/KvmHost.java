package io.multiplicity.agent.vm;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

/** What this host's KVM can do. */
public final class KvmHost {

    private KvmHost() {
    }

    /** Whether {@code /dev/kvm} exists and this process may open it. */
    public static boolean usable() {
        Path device = Path.of("/dev/kvm");
        if (!Files.exists(device)) {
            return false;
        }
        try (RandomAccessFile ignored = new RandomAccessFile(device.toFile(), "rw")) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Whether this host is itself a virtual machine (the CPU reports a hypervisor), so its KVM is
     * nested. Nested KVM often lacks what a stock kernel needs (cmpxchg16b, xsave emulation):
     * such kernels are emulated instead.
     */
    public static boolean nested() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("flags")) {
                    return (line + " ").contains(" hypervisor ");
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    /** Why KVM cannot run this image here, or null when it can. */
    public static String cannotRun(VmImage image) {
        if (!usable()) {
            return "/dev/kvm is missing or not accessible";
        }
        if (image.stockKernel() && nested()) {
            return "this host's KVM is nested and cannot run a stock kernel";
        }
        return null;
    }
}

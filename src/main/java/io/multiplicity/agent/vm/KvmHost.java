package io.multiplicity.agent.vm;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

/** What this host's KVM can do. */
public final class KvmHost {

    /** Why a host counts as one without KVM. */
    public static final String MISSING = "/dev/kvm is missing, not accessible, or without hardware virtualization (no VT-x or AMD-V)";

    private KvmHost() {
    }

    /**
     * Whether this host has a hardware-assisted KVM: {@code /dev/kvm} exists, this process may open
     * it, and the CPU offers VT-x or AMD-V. A {@code /dev/kvm} without them (a paravirtual KVM
     * such as PVM, which a virtual machine can offer its own guests) creates VMs and runs small
     * ones, but QEMU cannot set up its vCPUs there and a stock kernel crawls through its
     * instruction emulation: such a host counts as one without KVM.
     */
    public static boolean usable() {
        Path device = Path.of("/dev/kvm");
        if (!Files.exists(device) || !hardwareVirtualization()) {
            return false;
        }
        try (RandomAccessFile ignored = new RandomAccessFile(device.toFile(), "rw")) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether the CPU offers hardware virtualization (the {@code vmx} or {@code svm} flag). */
    private static boolean hardwareVirtualization() {
        String flags = cpuFlags();
        return flags.contains(" vmx ") || flags.contains(" svm ");
    }

    /**
     * Whether this host is itself a virtual machine (the CPU reports a hypervisor), so its KVM is
     * nested. Nested KVM often lacks what a stock kernel needs (cmpxchg16b, xsave emulation):
     * such kernels are emulated instead.
     */
    public static boolean nested() {
        return cpuFlags().contains(" hypervisor ");
    }

    /** The first {@code flags} line of {@code /proc/cpuinfo}, with a space at each end; blank if none. */
    private static String cpuFlags() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("flags")) {
                    return " " + line.substring(line.indexOf(':') + 1).strip() + " ";
                }
            }
        } catch (IOException e) {
            return " ";
        }
        return " ";
    }

    /** Why KVM cannot run this image here, or null when it can. */
    public static String cannotRun(VmImage image) {
        if (!usable()) {
            return MISSING;
        }
        if (image.stockKernel() && nested()) {
            return "this host's KVM is nested and cannot run a stock kernel";
        }
        return null;
    }
}

package io.multiplicity.agent.vm;

import java.nio.file.Path;
import java.util.Map;

/**
 * Settings of the agent's VM driver.
 *
 * @param mvm            the mvm binary; null to look in vmm-native/build and on the PATH
 * @param qemu           the QEMU system emulator
 * @param qemuAccel      {@code auto} (KVM where it can run the image, else TCG), {@code kvm} or {@code tcg}
 * @param hostDriver     {@code auto}, or the hypervisor every VM of this host must use ({@code mvm}, {@code qemu})
 * @param imageDrivers   image name to the hypervisor its VMs must use (overrides the host's)
 * @param restartPolicy  {@code never} or {@code on-crash}: start again a VM whose monitor died
 *                       without being asked to stop
 * @param imageSource    where the tiny-linux image's kernel and initrd are (built by
 *                       {@code scripts/build-vm-image.sh} when missing); null for
 *                       {@code <data>/vm-images/tiny-linux}
 * @param debianImageSource where the debian-vm image's kernel, initrd and disk are once
 *                       {@code scripts/build-image.sh debian-vm} built them; null for
 *                       {@code <data>/vm-images/debian-vm}
 * @param monitorIdBase  first host uid and gid mvm monitors run as, one per VM ({@link MonitorIds})
 * @param monitorIdCount how many there are; 0 leaves monitors as the agent's user, with their
 *                       system call filter only
 */
public record VmConfig(Path mvm, String qemu, String qemuAccel, String hostDriver, Map<String, String> imageDrivers,
        String restartPolicy, Path imageSource, Path debianImageSource, int monitorIdBase, int monitorIdCount) {

    /** Above the jails' user-namespace range (1048576 and the 65536 after it). */
    public static final int MONITOR_ID_BASE = 2 << 20;
    public static final int MONITOR_ID_COUNT = 65536;

    public VmConfig {
        if (!java.util.List.of("never", "on-crash").contains(restartPolicy)) {
            throw new IllegalArgumentException("vm restart policy must be never or on-crash: " + restartPolicy);
        }
        imageDrivers = Map.copyOf(imageDrivers);
    }

    public static VmConfig defaults() {
        return new VmConfig(null, "qemu-system-x86_64", "auto", "auto", Map.of(), "never", null, null, MONITOR_ID_BASE,
                MONITOR_ID_COUNT);
    }

    public VmConfig withRestartPolicy(String policy) {
        return new VmConfig(mvm, qemu, qemuAccel, hostDriver, imageDrivers, policy, imageSource, debianImageSource,
                monitorIdBase, monitorIdCount);
    }

    public VmConfig withImageSource(Path directory) {
        return new VmConfig(mvm, qemu, qemuAccel, hostDriver, imageDrivers, restartPolicy, directory, debianImageSource,
                monitorIdBase, monitorIdCount);
    }

    public VmConfig withDebianImageSource(Path directory) {
        return new VmConfig(mvm, qemu, qemuAccel, hostDriver, imageDrivers, restartPolicy, imageSource, directory,
                monitorIdBase, monitorIdCount);
    }

    public VmConfig withMvm(Path program) {
        return new VmConfig(program, qemu, qemuAccel, hostDriver, imageDrivers, restartPolicy, imageSource, debianImageSource,
                monitorIdBase, monitorIdCount);
    }

    public VmConfig withDrivers(String host, Map<String, String> images) {
        return new VmConfig(mvm, qemu, qemuAccel, host, images, restartPolicy, imageSource, debianImageSource,
                monitorIdBase, monitorIdCount);
    }

    public VmConfig withQemu(String program, String accel) {
        return new VmConfig(mvm, program, accel, hostDriver, imageDrivers, restartPolicy, imageSource, debianImageSource,
                monitorIdBase, monitorIdCount);
    }

    /** Parses {@code image=driver,image=driver}. */
    public static Map<String, String> parseImageDrivers(String text) {
        Map<String, String> drivers = new java.util.LinkedHashMap<>();
        if (text == null) {
            return drivers;
        }
        for (String pair : text.split(",")) {
            if (pair.isBlank()) {
                continue;
            }
            String[] parts = pair.split("=", 2);
            if (parts.length != 2) {
                throw new IllegalArgumentException("vm image drivers are image=driver pairs: " + pair);
            }
            drivers.put(parts[0].strip(), parts[1].strip());
        }
        return drivers;
    }
}

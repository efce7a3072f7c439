package io.multiplicity.agent.vm;

import io.multiplicity.agent.storage.ZfsStorage;
import io.multiplicity.agent.support.Command;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * Builds the VM images a host starts with, as ZFS image datasets holding {@code vm.json},
 * {@code kernel}, {@code initrd} and a sparse {@code disk.raw}:
 *
 * <ul>
 *   <li>{@code images/tiny-linux@v1}: Debian's kernel with a busybox initramfs, made by
 *       {@code scripts/build-vm-image.sh} from Debian packages;
 *   <li>{@code images/mvm-test@v1}: one of vmm-native's test guests ({@code idle.elf}: prints a
 *       line on the serial port and halts), for hosts whose KVM runs no stock kernel; QEMU
 *       boots it too (a PVH kernel), so hosts without KVM have it as well;
 *   <li>{@code images/debian-vm@v1}: a stock Debian 12 cloud guest (systemd, cloud-init,
 *       openssh-server) whose root file system is its disk, made by
 *       {@code scripts/build-debian-vm-image.sh} (through {@code scripts/build-image.sh debian-vm});
 *       its kernel and initramfs, copied out of the disk's {@code /boot}, are booted directly.
 *       It takes minutes and a Debian mirror to build, so the agent imports it when it has been
 *       built and never builds it itself.
 * </ul>
 */
public final class VmImageBuilder {

    public static final String TINY_LINUX = "tiny-linux";
    public static final String MVM_TEST = "mvm-test";
    public static final String DEBIAN_VM = "debian-vm";
    /** The name debian-vm has in the catalog: "debian", of kind vm, beside the Debian jail image. */
    public static final String DEBIAN_VM_CATALOG_NAME = "debian";
    /** The Debian guest's kernel command line: its root is the whole virtio disk (no partition table). */
    public static final String DEBIAN_VM_CMDLINE = "root=/dev/vda ro console=ttyS0";
    public static final int VERSION = 1;
    private static final long MIB = 1L << 20;

    private final ZfsStorage storage;
    private final Path tinyLinuxSource;
    private final Path mvmTestGuest;
    private final Path debianSource;

    /**
     * @param storage         the host's storage
     * @param tinyLinuxSource where tiny-linux's kernel and initrd are, or are built
     * @param mvmTestGuest    the vmm-native test guest that mvm-test boots
     * @param debianSource    where debian-vm's kernel, initrd and disk.raw are when it has been built
     */
    public VmImageBuilder(ZfsStorage storage, Path tinyLinuxSource, Path mvmTestGuest, Path debianSource) {
        this.storage = storage;
        this.tinyLinuxSource = tinyLinuxSource;
        this.mvmTestGuest = mvmTestGuest;
        this.debianSource = debianSource;
    }

    /** Whether debian-vm has been built (its kernel, initrd and disk are there to import). */
    public boolean debianSourceExists() {
        return debianSourceExists(debianSource);
    }

    private static boolean debianSourceExists(Path source) {
        return Files.isRegularFile(source.resolve("kernel")) && Files.isRegularFile(source.resolve("initrd"))
                && Files.isRegularFile(source.resolve("disk.raw"));
    }

    /** Whether tiny-linux's kernel is there already (so building the image needs no download). */
    public boolean tinyLinuxSourceExists() {
        return Files.isRegularFile(tinyLinuxSource.resolve("kernel"));
    }

    /** Whether vmm-native's test guest is built (so mvm-test can be made from it). */
    public boolean mvmTestGuestExists() {
        return Files.isRegularFile(mvmTestGuest);
    }

    /**
     * Builds a built-in image unless it exists: tiny-linux from its kernel and initrd (made by
     * {@code scripts/build-vm-image.sh} from Debian packages first, when they are not there yet),
     * mvm-test from vmm-native's test guest. Any other name is not built in, and left alone.
     */
    public void ensure(String image) {
        if (storage.imageVersionExists(image, VERSION)) {
            return;
        }
        if (image.equals(TINY_LINUX)) {
            ensureTinyLinux(tinyLinuxSource, Path.of("scripts", "build-vm-image.sh").toAbsolutePath());
        } else if (image.equals(MVM_TEST)) {
            ensureMvmTest(mvmTestGuest);
        } else if (image.equals(DEBIAN_VM)) {
            ensureDebian(debianSource);
        }
    }

    /**
     * Imports {@code images/debian-vm@v1} unless it exists, from {@code source} as
     * {@code scripts/build-debian-vm-image.sh} left it; the disk is copied sparsely.
     */
    public void ensureDebian(Path source) {
        if (storage.imageVersionExists(DEBIAN_VM, VERSION)) {
            return;
        }
        if (!debianSourceExists(source)) {
            throw new IllegalStateException("debian-vm is not built: no kernel, initrd and disk.raw in " + source
                    + " (bash scripts/build-image.sh debian-vm builds them)");
        }
        Path root = storage.createImageDataset(DEBIAN_VM);
        Command.run(List.of("cp", "--sparse=always", source.resolve("disk.raw").toString(),
                root.resolve("disk.raw").toString()), null).check();
        build(DEBIAN_VM, new VmImage("kernel", false, true, DEBIAN_VM_CMDLINE, null, true),
                source.resolve("kernel"), source.resolve("initrd"), 0);
    }

    /**
     * Builds {@code images/tiny-linux@v1} unless it exists, from {@code source} (its
     * {@code kernel} and {@code initrd}); runs {@code script} to make them when they are missing
     * and the script exists.
     */
    public void ensureTinyLinux(Path source, Path script) {
        if (storage.imageVersionExists(TINY_LINUX, VERSION)) {
            return;
        }
        if (!Files.isRegularFile(source.resolve("kernel")) || !Files.isRegularFile(source.resolve("initrd"))) {
            if (!Files.isRegularFile(script)) {
                throw new IllegalStateException("no kernel and initrd in " + source + " and no " + script
                        + " to build them");
            }
            Command.Result built = Command.run(List.of("sh", script.toString(), source.toString()), null);
            if (!built.ok()) {
                throw new IllegalStateException("building the tiny-linux image failed: "
                        + (built.stderr().isBlank() ? built.stdout() : built.stderr()).strip());
            }
        }
        build(TINY_LINUX, new VmImage("kernel", false, true, "console=ttyS0 panic=-1", null, true),
                source.resolve("kernel"), source.resolve("initrd"), 1024);
    }

    /** Builds {@code images/mvm-test@v1} from a vmm-native test guest unless it exists. */
    public void ensureMvmTest(Path guest) {
        if (storage.imageVersionExists(MVM_TEST, VERSION)) {
            return;
        }
        if (!Files.isRegularFile(guest)) {
            throw new IllegalStateException("no test guest at " + guest + " (build it: make -C vmm-native guests)");
        }
        build(MVM_TEST, new VmImage("kernel", false, false, "console=ttyS0", null, false), guest, null, 64);
    }

    /** Fills the image's dataset and seals it as v1; {@code diskMiB} 0 keeps the disk already there. */
    private void build(String name, VmImage image, Path kernel, Path initrd, int diskMiB) {
        Path root = storage.createImageDataset(name);
        try {
            Files.copy(kernel, root.resolve("kernel"), StandardCopyOption.REPLACE_EXISTING);
            if (initrd != null) {
                Files.copy(initrd, root.resolve("initrd"), StandardCopyOption.REPLACE_EXISTING);
            }
            if (diskMiB > 0) {
                try (RandomAccessFile disk = new RandomAccessFile(root.resolve("disk.raw").toFile(), "rw")) {
                    disk.setLength(diskMiB * MIB);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        image.write(root);
        Command.run("sync");
        storage.snapshotImage(name, VERSION);
    }
}

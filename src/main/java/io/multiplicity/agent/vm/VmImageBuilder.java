package io.multiplicity.agent.vm;

import io.multiplicity.agent.storage.ZfsStorage;
import io.multiplicity.agent.support.Command;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Builds the VM images a host starts with, as ZFS image datasets holding {@code vm.json},
 * {@code kernel}, {@code initrd} and a sparse {@code disk.raw}:
 *
 * <ul>
 *   <li>{@code images/tiny-linux@v1}: Debian's kernel with a busybox initramfs, made by
 *       {@code scripts/build-vm-image.sh} from Debian packages;
 *   <li>{@code images/mvm-test@v1}: one of vmm-native's test guests ({@code idle.elf}: prints a
 *       line on the serial port and halts), for hosts whose KVM runs no stock kernel; QEMU
 *       boots it too (a PVH kernel), so hosts without KVM have it as well.
 * </ul>
 */
public final class VmImageBuilder {

    public static final String TINY_LINUX = "tiny-linux";
    public static final String MVM_TEST = "mvm-test";
    public static final int VERSION = 1;
    private static final long MIB = 1L << 20;

    private final ZfsStorage storage;
    private final Path tinyLinuxSource;
    private final Path mvmTestGuest;

    /**
     * @param storage         the host's storage
     * @param tinyLinuxSource where tiny-linux's kernel and initrd are, or are built
     * @param mvmTestGuest    the vmm-native test guest that mvm-test boots
     */
    public VmImageBuilder(ZfsStorage storage, Path tinyLinuxSource, Path mvmTestGuest) {
        this.storage = storage;
        this.tinyLinuxSource = tinyLinuxSource;
        this.mvmTestGuest = mvmTestGuest;
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
        }
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
            Command.Result built = Command.run(java.util.List.of("sh", script.toString(), source.toString()), null);
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

    private void build(String name, VmImage image, Path kernel, Path initrd, int diskMiB) {
        Path root = storage.createImageDataset(name);
        try {
            Files.copy(kernel, root.resolve("kernel"), StandardCopyOption.REPLACE_EXISTING);
            if (initrd != null) {
                Files.copy(initrd, root.resolve("initrd"), StandardCopyOption.REPLACE_EXISTING);
            }
            try (RandomAccessFile disk = new RandomAccessFile(root.resolve("disk.raw").toFile(), "rw")) {
                disk.setLength(diskMiB * MIB);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        image.write(root);
        Command.run("sync");
        storage.snapshotImage(name, VERSION);
    }
}

package io.multiplicity.agent.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.multiplicity.agent.jail.BusyboxImageBuilder;
import io.multiplicity.agent.jail.IdShift;
import io.multiplicity.agent.storage.ZfsStorage;
import io.multiplicity.agent.support.Command;
import io.multiplicity.agent.vm.VmImage;
import io.multiplicity.agent.vm.VmImageBuilder;
import io.multiplicity.host.contract.ImageRefused;
import io.multiplicity.host.contract.ImageStore;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The host's images on ZFS: {@code <pool>/multiplicity/images/<key>}, one snapshot {@code @v<n>}
 * per version. A new version is written into the image's dataset (emptied first) and sealed by
 * its snapshot; a failed import rolls the dataset back to the newest version, or destroys it when
 * it had none. Jail images are shifted into the id range of the jails' user namespace, as the
 * built-in busybox image is.
 */
public final class ZfsImageStore implements ImageStore {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MIB = 1L << 20;
    /** Size of the empty data disk a kernel-booted VM image carries. */
    private static final int KERNEL_IMAGE_DISK_MIB = 256;

    private final ZfsStorage storage;
    private final int idBase;
    private final Map<String, Object> locks = new ConcurrentHashMap<>();

    /** @param idBase first host id of the jails' user namespace, -1 when jails run without one */
    public ZfsImageStore(ZfsStorage storage, int idBase) {
        this.storage = storage;
        this.idBase = idBase;
    }

    @Override
    public Imported importRootfs(String key, int version, Path archive, Limits limits) {
        ImageArchive.Limits checks = new ImageArchive.Limits(limits.maxUnpackedBytes(), limits.maxEntries(),
                limits.allowDeviceNodes());
        ImageArchive.Summary summary = ImageArchive.scan(archive, checks);
        return write(key, version, root -> {
            ImageArchive.extract(archive, root, checks);
            if (idBase >= 0) {
                IdShift.shift(root, idBase);
                storage.setImageIdBase(key, idBase);
            }
            return new Imported(summary.unpackedBytes(), summary.entries());
        });
    }

    @Override
    public Imported importKernel(String key, int version, Path archive, VmBoot boot, Limits limits) {
        ImageArchive.Limits checks = new ImageArchive.Limits(limits.maxUnpackedBytes(), limits.maxEntries(), false);
        ImageArchive.Summary summary = ImageArchive.scan(archive, checks);
        if (!summary.files().contains("kernel")) {
            throw new ImageRefused("missing_kernel", "the archive holds no file named kernel");
        }
        if (!summary.others().isEmpty()) {
            throw new ImageRefused("unexpected_entry", "a kernel archive holds only the regular files kernel "
                    + "and initrd, not " + summary.others().iterator().next());
        }
        for (String file : summary.files()) {
            if (!Set.of("kernel", "initrd").contains(file)) {
                throw new ImageRefused("unexpected_entry",
                        "a kernel archive holds only the files kernel and initrd, not " + file);
            }
        }
        return write(key, version, root -> {
            ImageArchive.extract(archive, root, checks);
            sparseDisk(root.resolve("disk.raw"), KERNEL_IMAGE_DISK_MIB * MIB);
            new VmImage("kernel", boot.graphics(), false, boot.cmdline() == null ? "console=ttyS0" : boot.cmdline(),
                    null, true).write(root);
            return new Imported(summary.unpackedBytes(), summary.entries());
        });
    }

    @Override
    public Imported importDisk(String key, int version, Path disk, String format, VmBoot boot, Limits limits) {
        if (!Set.of("raw", "qcow2").contains(format)) {
            throw new ImageRefused("unsupported_format", "disk images are raw or qcow2, not " + format);
        }
        long virtualSize = checkDisk(disk, format, limits.maxUnpackedBytes());
        return write(key, version, root -> {
            Command.run(List.of("qemu-img", "convert", "-q", "-f", format, "-O", "raw", disk.toString(),
                    root.resolve("disk.raw").toString()), null).check();
            new VmImage("firmware", boot.graphics(), true, null, "qemu", true).write(root);
            return new Imported(virtualSize, 1);
        });
    }

    /**
     * Checks a disk with {@code qemu-img info} before anything reads it for real: the format must
     * be the one declared (no probing a raw file into something else), it must name no backing
     * or external data file (a qcow2 could otherwise pull in any file of the host), and its
     * virtual size must fit the limit.
     */
    private static long checkDisk(Path disk, String format, long maxBytes) {
        Command.Result info = Command.run(List.of("qemu-img", "info", "--output=json", "-f", format, disk.toString()), null);
        if (!info.ok()) {
            throw new ImageRefused("not_a_disk", "not a " + format + " disk image: " + info.stderr().strip());
        }
        JsonNode node;
        try {
            node = JSON.readTree(info.stdout());
        } catch (IOException e) {
            throw new ImageRefused("not_a_disk", "qemu-img could not describe the disk");
        }
        if (node.hasNonNull("backing-filename") || node.hasNonNull("full-backing-filename")
                || node.path("format-specific").path("data").hasNonNull("data-file")) {
            throw new ImageRefused("external_file", "the disk refers to another file (backing or data file)");
        }
        long virtualSize = node.path("virtual-size").asLong(-1);
        if (virtualSize <= 0 || virtualSize > maxBytes) {
            throw new ImageRefused("too_large", "the disk's virtual size " + virtualSize
                    + " is more than the " + maxBytes + " bytes allowed");
        }
        return virtualSize;
    }

    private Imported write(String key, int version, Function<Path, Imported> fill) {
        synchronized (locks.computeIfAbsent(key, k -> new Object())) {
            if (storage.imageVersionExists(key, version)) {
                throw new IllegalStateException("image " + key + " already has version " + version);
            }
            Optional<Integer> previous = storage.latestImageVersion(key);
            // Only a dataset this import created is ever destroyed on failure; one that existed is
            // rolled back to its newest version.
            boolean created = false;
            try {
                Path root;
                if (storage.exists(storage.imageDataset(key))) {
                    root = storage.mountpoint(storage.imageDataset(key));
                    empty(root);
                } else {
                    root = storage.createImageDataset(key);
                    created = true;
                }
                Imported imported = fill.apply(root);
                Command.run("sync");
                storage.snapshotImage(key, version);
                return imported;
            } catch (RuntimeException e) {
                undo(key, created, previous);
                throw e;
            }
        }
    }

    private void undo(String key, boolean created, Optional<Integer> previous) {
        try {
            if (created) {
                storage.destroyImage(key);
            } else if (previous.isPresent()) {
                storage.rollbackImage(key, previous.get());
            }
        } catch (RuntimeException cleanup) {
            throw new IllegalStateException("an import of image " + key + " failed and could not be undone: "
                    + cleanup.getMessage(), cleanup);
        }
    }

    /** Deletes everything under an image's root, never following a link. */
    private static void empty(Path root) {
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path directory, IOException failure) throws IOException {
                    if (!directory.equals(root)) {
                        Files.delete(directory);
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sparseDisk(Path path, long bytes) {
        try (RandomAccessFile disk = new RandomAccessFile(path.toFile(), "rw")) {
            disk.setLength(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public boolean has(String key, int version) {
        return storage.imageVersionExists(key, version);
    }

    @Override
    public void destroyVersion(String key, int version) {
        synchronized (locks.computeIfAbsent(key, k -> new Object())) {
            if (!storage.imageVersionExists(key, version)) {
                return;
            }
            // Clones made ahead for jails of this version go with it; instances' clones keep it.
            storage.destroyWarmClones(key, version);
            List<String> clones = storage.clonesOf(key, version);
            if (!clones.isEmpty()) {
                throw new IllegalStateException("version " + version + " of image " + key + " has "
                        + clones.size() + " instance(s) cloned from it");
            }
            List<Integer> versions = storage.imageVersions(key);
            if (versions.size() == 1 && versions.get(0) == version) {
                storage.destroyImage(key);
            } else {
                storage.destroyImageVersion(key, version);
            }
        }
    }

    @Override
    public String digest(String key, int version) {
        return storage.sendDigest(key, version);
    }

    @Override
    public List<Integer> versions(String key) {
        return storage.imageVersions(key);
    }

    @Override
    public String versionGuid(String key, int version) {
        return storage.imageVersionGuid(key, version);
    }

    @Override
    public java.io.InputStream sendVersion(String key, int version, int base) throws IOException {
        return storage.sendImage(key, version, base);
    }

    @Override
    public void receiveVersion(String key, int version, java.io.InputStream stream) throws IOException {
        // Under the image's lock: an import, a destroy or another copy of the image waits.
        synchronized (locks.computeIfAbsent(key, k -> new Object())) {
            if (storage.imageVersionExists(key, version)) {
                return;
            }
            storage.receiveImage(key, version, stream);
        }
    }

    @Override
    public List<BuiltIn> builtIns() {
        List<BuiltIn> found = new ArrayList<>();
        add(found, BusyboxImageBuilder.IMAGE, BusyboxImageBuilder.IMAGE, "jail", "busybox",
                "BusyBox on its own: a shell and the usual tools, a few MiB", null);
        add(found, VmImageBuilder.TINY_LINUX, VmImageBuilder.TINY_LINUX, "vm", "linux",
                "Debian's kernel with a busybox initramfs", new VmBoot("kernel", false, "console=ttyS0"));
        // Listed as "debian", beside the Debian jail image of that name: references name the kind.
        add(found, VmImageBuilder.DEBIAN_VM, VmImageBuilder.DEBIAN_VM_CATALOG_NAME, "vm", "debian",
                "Debian 12 (bookworm) cloud guest: systemd, cloud-init, openssh-server; address by DHCP, keys and"
                        + " user-data from the metadata service", new VmBoot("kernel", false, VmImageBuilder.DEBIAN_VM_CMDLINE));
        add(found, VmImageBuilder.MVM_TEST, VmImageBuilder.MVM_TEST, "vm", "mvm-test",
                "mvm's test guest: prints a line on the serial port and halts", new VmBoot("kernel", false, "console=ttyS0"));
        return found;
    }

    private void add(List<BuiltIn> found, String key, String name, String kind, String os, String description,
                     VmBoot boot) {
        storage.latestImageVersion(key).ifPresent(version -> found.add(new BuiltIn(key, kind, version, os, description,
                boot, Long.parseLong(storage.get(storage.imageDataset(key) + "@v" + version, "referenced")), name)));
    }
}

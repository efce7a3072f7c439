package io.multiplicity.support;

import io.multiplicity.agent.image.ImageArchive;
import io.multiplicity.host.contract.ImageStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The image store of the in-memory host: archives get the real checks ({@link ImageArchive#scan})
 * but are not unpacked; it only remembers which versions it holds. It starts with the built-in
 * images a real host builds. Tests of real imports use the real host.
 */
public final class RecordingImageStore implements ImageStore {

    public static final Set<String> VERSIONS = ConcurrentHashMap.newKeySet();

    @Override
    public Imported importRootfs(String key, int version, Path archive, Limits limits) {
        ImageArchive.Summary summary = ImageArchive.scan(archive,
                new ImageArchive.Limits(limits.maxUnpackedBytes(), limits.maxEntries(), limits.allowDeviceNodes()));
        VERSIONS.add(key + "@v" + version);
        return new Imported(summary.unpackedBytes(), summary.entries());
    }

    @Override
    public Imported importDisk(String key, int version, Path disk, String format, VmBoot boot, Limits limits) {
        VERSIONS.add(key + "@v" + version);
        return new Imported(disk.toFile().length(), 1);
    }

    @Override
    public Imported importKernel(String key, int version, Path archive, VmBoot boot, Limits limits) {
        ImageArchive.Summary summary = ImageArchive.scan(archive,
                new ImageArchive.Limits(limits.maxUnpackedBytes(), limits.maxEntries(), false));
        VERSIONS.add(key + "@v" + version);
        return new Imported(summary.unpackedBytes(), summary.entries());
    }

    @Override
    public boolean has(String key, int version) {
        return VERSIONS.contains(key + "@v" + version);
    }

    @Override
    public void destroyVersion(String key, int version) {
        VERSIONS.remove(key + "@v" + version);
    }

    @Override
    public String digest(String key, int version) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest((key + "@v" + version).getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public List<BuiltIn> builtIns() {
        VmBoot kernel = new VmBoot("kernel", false, "console=ttyS0");
        return List.of(new BuiltIn("busybox", "jail", 1, "busybox", "BusyBox", null, 2 << 20),
                new BuiltIn("tiny-linux", "vm", 1, "linux", "Debian's kernel with a busybox initramfs", kernel, 30 << 20),
                new BuiltIn("mvm-test", "vm", 1, "mvm-test", "mvm's test guest", kernel, 1 << 20));
    }
}

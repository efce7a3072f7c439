package io.multiplicity.host.contract;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;

/**
 * The images of a host: each image is one dataset whose versions are its snapshots
 * {@code @v<seq>}; instances are clones of a version. Imports check what they are given before
 * they write anything, and a refused or failed import leaves the store as it was.
 *
 * <p>Image keys are the names the host stores images under (the catalog's storage key), version
 * numbers are small positive integers the catalog hands out.
 */
public interface ImageStore {

    /**
     * Limits and allowances of one import.
     *
     * @param maxUnpackedBytes bytes of file data an archive may unpack to, and largest virtual size of a disk
     * @param maxEntries       entries an archive may hold
     * @param allowDeviceNodes archives may hold device nodes
     */
    record Limits(long maxUnpackedBytes, long maxEntries, boolean allowDeviceNodes) {
    }

    /**
     * How a VM image boots.
     *
     * @param boot     {@code kernel} (direct kernel boot) or {@code firmware} (BIOS from the disk)
     * @param graphics the guest needs a framebuffer
     * @param cmdline  kernel command line for direct kernel boot
     */
    record VmBoot(String boot, boolean graphics, String cmdline) {
    }

    /** What an import produced: bytes of data it unpacked to, entries (files) it holds. */
    record Imported(long unpackedBytes, long entries) {
    }

    /** An image the host built itself (busybox, tiny-linux, ...), with its newest version and its size. */
    record BuiltIn(String key, String kind, int version, String os, String description, VmBoot boot, long bytes,
                   String name) {

        /** A built-in image listed in the catalog under its dataset name. */
        public BuiltIn(String key, String kind, int version, String os, String description, VmBoot boot, long bytes) {
            this(key, kind, version, os, description, boot, bytes, key);
        }

        /** The name the catalog lists it under (its dataset name unless told; agents before names had none). */
        public String catalogName() {
            return name == null || name.isBlank() ? key : name;
        }
    }

    /** A jail image from a root file system tarball (plain, gzip, xz or zstd). */
    Imported importRootfs(String key, int version, Path archive, Limits limits);

    /** A VM image from a disk ({@code raw} or {@code qcow2}), converted to a raw disk. */
    Imported importDisk(String key, int version, Path disk, String format, VmBoot boot, Limits limits);

    /** A VM image from a tarball holding {@code kernel} and optionally {@code initrd}. */
    Imported importKernel(String key, int version, Path archive, VmBoot boot, Limits limits);

    /** Whether the version is stored here. */
    boolean has(String key, int version);

    /** Destroys one version; refuses (IllegalStateException) while instances are cloned from it. */
    void destroyVersion(String key, int version);

    /** The SHA-256 of a stored version's replication stream, for images that came with no archive. */
    String digest(String key, int version);

    /** The images this host built itself and has. */
    List<BuiltIn> builtIns();

    /** The versions of an image stored here, oldest first; empty when it has none. */
    default List<Integer> versions(String key) {
        throw new UnsupportedOperationException("copying image versions between hosts");
    }

    /**
     * The identity of a version's snapshot in ZFS (its guid), which a copy keeps: a copy is the
     * sender's version when the two are equal. Refuses (IllegalStateException) a version not here.
     */
    default String versionGuid(String key, int version) {
        throw new UnsupportedOperationException("copying image versions between hosts");
    }

    /**
     * Copying a version to another host, the sending side: the stream of the whole version when
     * {@code base} is 0, else of what it adds to version {@code base}, which the receiver holds
     * already. The caller closes the stream; reading it fails (IOException) when the send did not
     * complete. Refuses (IllegalArgumentException) a version or base this host does not have.
     */
    default InputStream sendVersion(String key, int version, int base) throws IOException {
        throw new UnsupportedOperationException("copying image versions between hosts");
    }

    /**
     * The receiving side: the stream of another host's {@link #sendVersion} becomes version
     * {@code version} here, the same snapshot as on the sender (the same {@link #versionGuid}). Succeeds
     * without reading the stream when the version is here already; a failed receive leaves the image
     * as it was (no dataset where it had none, no new version).
     */
    default void receiveVersion(String key, int version, InputStream stream) throws IOException {
        throw new UnsupportedOperationException("copying image versions between hosts");
    }
}

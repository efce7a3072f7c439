package io.multiplicity.agent.image;

import com.github.luben.zstd.ZstdInputStream;
import io.multiplicity.agent.support.Command;
import io.multiplicity.host.contract.ArchiveFormat;
import io.multiplicity.host.contract.ImageRefused;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.tukaani.xz.XZInputStream;

/**
 * A root file system archive a tenant or an admin imports: a tar file, plain or compressed with
 * gzip, xz or zstd (told apart by their magic bytes, not by a file name).
 *
 * <p>Nothing in it is trusted. {@link #scan} reads the whole archive and refuses it, before
 * anything is written, when an entry has an absolute path or a {@code ..} component, when a
 * symbolic link climbs out of the root or an entry lies beneath a symbolic link (the classic
 * "write through a link" escape), when a hard link names anything but an earlier file of the
 * archive, when it holds device nodes and they are not allowed, when it unpacks to more bytes or
 * entries than allowed (a decompression bomb stops at the limit, it is never unpacked in full),
 * when an owner lies outside the 0..65535 ids a jail maps, or when it is cut short. {@link #extract}
 * applies the same checks again while it writes, and never follows a link: every directory on the
 * way to an entry is checked to be a real directory of the new root.
 *
 * <p>Absolute symbolic link targets ({@code /etc/localtime -> /usr/share/zoneinfo/UTC}) are kept:
 * inside the jail they resolve within its root. Code of the host that reads files of an image
 * must therefore never follow links in it.
 */
public final class ImageArchive {

    /** Largest id a jail's user namespace maps. */
    private static final long MAX_ID = 65535;
    private static final int BUFFER = 1 << 16;

    /**
     * @param maxUnpackedBytes  bytes of file data the archive may unpack to
     * @param maxEntries        entries it may hold
     * @param allowDeviceNodes  character and block devices are allowed (an admin's choice)
     */
    public record Limits(long maxUnpackedBytes, long maxEntries, boolean allowDeviceNodes) {
    }

    /**
     * What a checked archive holds.
     *
     * @param files  paths of its regular files
     * @param others paths of everything else (directories, links, devices)
     */
    public record Summary(long entries, long unpackedBytes, Set<String> files, Set<String> others) {
    }

    private ImageArchive() {
    }

    /** Checks the whole archive and writes nothing; throws {@link ImageRefused} with the first problem. */
    public static Summary scan(Path archive, Limits limits) {
        return walk(archive, limits, null);
    }

    /**
     * Unpacks the archive into {@code root} (an empty directory), checking every entry as
     * {@link #scan} does. On a refusal part of the archive may have been written: the caller
     * throws the root away.
     */
    public static Summary extract(Path archive, Path root, Limits limits) {
        return walk(archive, limits, root);
    }

    private static Summary walk(Path archive, Limits limits, Path root) {
        Checker checker = new Checker(limits);
        List<Path> directories = new ArrayList<>();
        List<TarArchiveEntry> directoryEntries = new ArrayList<>();
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(archive), BUFFER);
             Bounded plain = new Bounded(decompress(raw, ArchiveFormat.of(archive)));
             TarArchiveInputStream tar = new TarArchiveInputStream(plain)) {
            TarArchiveEntry entry;
            byte[] buffer = new byte[BUFFER];
            while ((entry = nextEntry(tar, plain)) != null) {
                String path = checker.check(entry);
                // An entry's data was checked against the limits: it may be read, and its padding.
                plain.allow(Math.max(0, entry.getSize()) + HEADER_BUDGET);
                if (path == null) {
                    continue;
                }
                if (root == null) {
                    drain(tar, entry, buffer);
                    continue;
                }
                Path target = placeWithin(root, path);
                if (entry.isDirectory()) {
                    if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                        Files.deleteIfExists(target);
                        Files.createDirectory(target);
                    }
                    directories.add(target);
                    directoryEntries.add(entry);
                    continue;
                }
                if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                    throw new ImageRefused("entry_conflict", "entry " + path + " would replace a directory");
                }
                Files.deleteIfExists(target);
                if (entry.isSymbolicLink()) {
                    Files.createSymbolicLink(target, Path.of(entry.getLinkName()));
                    owner(target, entry);
                    continue;
                }
                if (entry.isLink()) {
                    Path source = placeWithin(root, checker.linkTarget(entry));
                    if (!Files.isRegularFile(source, LinkOption.NOFOLLOW_LINKS)) {
                        throw new ImageRefused("link_escape", "hard link " + path + " names no file of the archive");
                    }
                    Files.createLink(target, source);
                    continue;
                }
                if (entry.isCharacterDevice() || entry.isBlockDevice() || entry.isFIFO()) {
                    String type = entry.isFIFO() ? "p" : entry.isCharacterDevice() ? "c" : "b";
                    // The mode comes with mknod and the owner by lchown: setting either through the JDK
                    // opens the node, which blocks on a FIFO and would touch a device.
                    List<String> command = new ArrayList<>(List.of("mknod", "-m",
                            Integer.toOctalString(entry.getMode() & 0777), target.toString(), type));
                    if (!entry.isFIFO()) {
                        command.add(Integer.toString(entry.getDevMajor()));
                        command.add(Integer.toString(entry.getDevMinor()));
                    }
                    Command.run(command, null).check();
                    owner(target, entry);
                    continue;
                }
                try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                    long left = entry.getSize();
                    while (left > 0) {
                        int read = tar.read(buffer, 0, (int) Math.min(buffer.length, left));
                        if (read < 0) {
                            throw truncated();
                        }
                        out.write(buffer, 0, read);
                        left -= read;
                    }
                }
                attributes(target, entry);
            }
            // Directories last, deepest first: their modes may forbid writing into them, and writing
            // their entries changed their times.
            for (int i = directories.size() - 1; i >= 0; i--) {
                attributes(directories.get(i), directoryEntries.get(i));
            }
        } catch (ImageRefused e) {
            throw e;
        } catch (EOFException e) {
            throw truncated();
        } catch (FileAlreadyExistsException e) {
            throw new ImageRefused("entry_conflict", "the archive writes " + e.getFile() + " twice in a way that is refused");
        } catch (IOException e) {
            String message = String.valueOf(e.getMessage()).toLowerCase();
            if (message.contains("truncated") || message.contains("unexpected end") || message.contains("premature")) {
                throw truncated();
            }
            if (root != null && !message.contains("corrupt") && !message.contains("header")
                    && !message.contains("format")) {
                throw new UncheckedIOException(e);
            }
            throw new ImageRefused("not_an_archive", "not a readable tar archive: " + e.getMessage());
        }
        if (checker.entries == 0) {
            throw new ImageRefused("empty_archive", "the archive holds no entries");
        }
        Set<String> others = new HashSet<>(checker.paths);
        others.removeAll(checker.files);
        return new Summary(checker.entries, checker.bytes, Set.copyOf(checker.files), Set.copyOf(others));
    }

    /**
     * Bytes a header may take, with the long names and extended (PAX) records before it, which the
     * tar reader holds in memory: far more than any real archive needs.
     */
    private static final long HEADER_BUDGET = 1 << 20;

    private static TarArchiveEntry nextEntry(TarArchiveInputStream tar, Bounded plain) throws IOException {
        plain.allow(HEADER_BUDGET);
        try {
            return tar.getNextEntry();
        } catch (IllegalArgumentException e) {
            throw new ImageRefused("not_an_archive", "not a readable tar archive: " + e.getMessage());
        }
    }

    private static InputStream decompress(InputStream raw, ArchiveFormat format) throws IOException {
        return switch (format) {
            case TAR_GZ -> new GZIPInputStream(raw, BUFFER);
            case TAR_XZ -> new XZInputStream(raw);
            case TAR_ZST -> new ZstdInputStream(raw);
            case TAR -> raw;
        };
    }

    private static void drain(TarArchiveInputStream tar, TarArchiveEntry entry, byte[] buffer) throws IOException {
        long left = entry.isFile() && !entry.isLink() ? entry.getSize() : 0;
        while (left > 0) {
            int read = tar.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (read < 0) {
                throw truncated();
            }
            left -= read;
        }
    }

    private static ImageRefused truncated() {
        return new ImageRefused("truncated", "the archive is truncated: it ends in the middle of an entry");
    }

    /**
     * {@code root/path}, after making sure that every directory on the way is a real directory
     * (created if missing), never a link.
     */
    private static Path placeWithin(Path root, String path) throws IOException {
        Path current = root;
        String[] parts = path.split("/");
        for (int i = 0; i < parts.length - 1; i++) {
            current = current.resolve(parts[i]);
            if (Files.isSymbolicLink(current)) {
                throw new ImageRefused("link_escape", "entry " + path + " lies beneath the symbolic link " + root.relativize(current));
            }
            if (!Files.exists(current, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(current);
            } else if (!Files.isDirectory(current, LinkOption.NOFOLLOW_LINKS)) {
                throw new ImageRefused("entry_conflict", "entry " + path + " lies beneath the file " + root.relativize(current));
            }
        }
        return current.resolve(parts[parts.length - 1]);
    }

    private static void owner(Path target, TarArchiveEntry entry) throws IOException {
        Files.setAttribute(target, "unix:uid", (int) entry.getLongUserId(), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(target, "unix:gid", (int) entry.getLongGroupId(), LinkOption.NOFOLLOW_LINKS);
    }

    private static void attributes(Path target, TarArchiveEntry entry) throws IOException {
        owner(target, entry);
        // After chown, which clears set-user-ID and set-group-ID bits.
        Files.setAttribute(target, "unix:mode", entry.getMode() & 07777, LinkOption.NOFOLLOW_LINKS);
        FileTime time = FileTime.from(entry.getModTime().toInstant());
        Files.getFileAttributeView(target, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .setTimes(time, null, null);
    }

    /**
     * The unpacked stream, read no further than allowed: an entry's checked size while its data
     * is read, {@link #HEADER_BUDGET} while the next header is, so no header trick (a huge long
     * name or extended header, endless padding) makes the reader hold or unpack more.
     */
    private static final class Bounded extends java.io.FilterInputStream {
        private long left;

        Bounded(InputStream in) {
            super(in);
        }

        void allow(long bytes) {
            left = bytes;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            if (left <= 0) {
                throw new ImageRefused("too_large", "a header of the archive is larger than " + HEADER_BUDGET
                        + " bytes, or its data runs past its size");
            }
            int read = super.read(buffer, offset, (int) Math.min(length, left));
            if (read > 0) {
                left -= read;
            }
            return read;
        }
    }

    /** The checks of every entry, shared by the scan and the extraction. */
    private static final class Checker {
        private final Limits limits;
        private final Set<String> links = new HashSet<>();
        private final Set<String> files = new HashSet<>();
        private final Set<String> paths = new HashSet<>();
        private long entries;
        private long bytes;

        Checker(Limits limits) {
            this.limits = limits;
        }

        /** The entry's normalized path, or null for an entry that writes nothing (the root itself). */
        String check(TarArchiveEntry entry) {
            String name = entry.getName();
            if (++entries > limits.maxEntries()) {
                throw new ImageRefused("too_many_entries", "the archive holds more than " + limits.maxEntries() + " entries");
            }
            if (entry.isGlobalPaxHeader()) {
                return null;
            }
            if (entry.isSparse()) {
                throw new ImageRefused("unsupported_entry", "entry " + name + " is a sparse file; sparse entries are not accepted");
            }
            String path = normalize(name);
            if (path.isEmpty()) {
                return null;
            }
            paths.add(path);
            for (int slash = path.indexOf('/'); slash > 0; slash = path.indexOf('/', slash + 1)) {
                String ancestor = path.substring(0, slash);
                if (links.contains(ancestor)) {
                    throw new ImageRefused("link_escape", "entry " + path + " lies beneath the symbolic link " + ancestor);
                }
            }
            if (entry.getLongUserId() < 0 || entry.getLongUserId() > MAX_ID || entry.getLongGroupId() < 0
                    || entry.getLongGroupId() > MAX_ID) {
                throw new ImageRefused("bad_owner", "entry " + path + " is owned by " + entry.getLongUserId() + ":"
                        + entry.getLongGroupId() + ", outside the ids 0..65535 a jail maps");
            }
            if (entry.isSymbolicLink()) {
                String target = entry.getLinkName();
                if (target.isEmpty() || target.indexOf('\0') >= 0) {
                    throw new ImageRefused("link_escape", "symbolic link " + path + " has no valid target");
                }
                if (!target.startsWith("/") && climbsOut(path, target)) {
                    throw new ImageRefused("link_escape", "symbolic link " + path + " -> " + target + " leads out of the root");
                }
                links.add(path);
                files.remove(path);
                return path;
            }
            links.remove(path);
            if (entry.isLink()) {
                linkTarget(entry);
                return path;
            }
            if (entry.isCharacterDevice() || entry.isBlockDevice()) {
                if (!limits.allowDeviceNodes()) {
                    throw new ImageRefused("device_node", "entry " + path + " is a device node; device nodes are not allowed");
                }
                return path;
            }
            if (entry.isDirectory() || entry.isFIFO()) {
                return path;
            }
            if (!entry.isFile()) {
                throw new ImageRefused("unsupported_entry", "entry " + path + " is of a type that is not accepted");
            }
            if (entry.getSize() < 0 || entry.getSize() > limits.maxUnpackedBytes() - bytes) {
                throw new ImageRefused("too_large", "the archive unpacks to more than " + limits.maxUnpackedBytes() + " bytes");
            }
            bytes += entry.getSize();
            files.add(path);
            return path;
        }

        /** A hard link's target: an earlier file of the archive. */
        String linkTarget(TarArchiveEntry entry) {
            String target = normalize(entry.getLinkName());
            if (!files.contains(target)) {
                throw new ImageRefused("link_escape", "hard link " + entry.getName() + " -> " + entry.getLinkName()
                        + " names no earlier file of the archive");
            }
            return target;
        }

        private static String normalize(String name) {
            if (name.indexOf('\0') >= 0) {
                throw new ImageRefused("bad_path", "an entry name holds a NUL byte");
            }
            if (name.startsWith("/")) {
                throw new ImageRefused("absolute_path", "entry " + name + " has an absolute path");
            }
            List<String> parts = new ArrayList<>();
            for (String part : name.split("/")) {
                if (part.isEmpty() || part.equals(".")) {
                    continue;
                }
                if (part.equals("..")) {
                    throw new ImageRefused("path_traversal", "entry " + name + " climbs out of the root with ..");
                }
                parts.add(part);
            }
            return String.join("/", parts);
        }

        /** Whether a relative link target, seen from the link's directory, climbs above the root. */
        private static boolean climbsOut(String linkPath, String target) {
            Deque<String> stack = new ArrayDeque<>();
            String[] own = linkPath.split("/");
            for (int i = 0; i < own.length - 1; i++) {
                stack.addLast(own[i]);
            }
            for (String part : target.split("/")) {
                if (part.isEmpty() || part.equals(".")) {
                    continue;
                }
                if (part.equals("..")) {
                    if (stack.isEmpty()) {
                        return true;
                    }
                    stack.removeLast();
                } else {
                    stack.addLast(part);
                }
            }
            return false;
        }
    }
}

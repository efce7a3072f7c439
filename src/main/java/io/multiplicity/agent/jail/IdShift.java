package io.multiplicity.agent.jail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;

/**
 * Shifts the ownership of a root file system into the host id range a user namespace maps: a
 * file owned by {@code uid} inside is owned by {@code base + uid} on the host. Symbolic links are
 * changed themselves, never followed; other file systems are not entered.
 *
 * <p>Images are shifted once, when they are built or imported, into the image range
 * ({@link JailIdRanges#IMAGE_BASE}). Every jail then gets a range of its own (as Incus'
 * {@code security.idmap.isolated}), and its clone of the image is shifted again, from the image's
 * range into the jail's, when the jail is provisioned ({@link #reshift}): runc 1.1 has no
 * idmapped mounts, and zfs-fuse could not give them.
 */
public final class IdShift {

    /** Ids each jail gets: 0..65535 inside. */
    public static final int RANGE = 65536;

    private IdShift() {
    }

    /** Shifts every file under {@code root} whose owner is still in the unshifted range. */
    public static void shift(Path root, int base) {
        walk(root, path -> shiftOne(path, base));
    }

    /**
     * Moves every file under {@code root} owned by an id of the range at {@code from} to the same
     * id of the range at {@code to}; files already moved (or owned outside that range) stay as
     * they are, so an interrupted move is finished by running it again.
     */
    public static void reshift(Path root, int from, int to) {
        if (from == to) {
            return;
        }
        walk(root, path -> {
            if (!path.equals(root)) {
                reshiftOne(path, from, to);
            }
        });
        try {
            // The root directory last: until it moved, rangeOf(root) still names the range to move from.
            reshiftOne(root, from, to);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The range a root file system's files are in: the host id that owns its root directory (its
     * root user's), whether that is the image range or the range of the jail it was made for (a
     * dataset received from another host); -1 when it is owned by host root (not shifted).
     */
    public static int rangeOf(Path root) {
        try {
            int owner = (Integer) Files.getAttribute(root, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            return owner >= RANGE ? owner : -1;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private interface PathAction {
        void apply(Path path) throws IOException;
    }

    private static void walk(Path root, PathAction action) {
        try {
            Object device = Files.getAttribute(root, "unix:dev", LinkOption.NOFOLLOW_LINKS);
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path directory, BasicFileAttributes attributes) throws IOException {
                    if (!device.equals(Files.getAttribute(directory, "unix:dev", LinkOption.NOFOLLOW_LINKS))) {
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    action.apply(directory);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                    action.apply(file);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void reshiftOne(Path path, int from, int to) throws IOException {
        Map<String, Object> attributes = Files.readAttributes(path, "unix:uid,gid,mode", LinkOption.NOFOLLOW_LINKS);
        int uid = (Integer) attributes.get("uid");
        int gid = (Integer) attributes.get("gid");
        boolean moveUid = uid >= from && uid - from < RANGE;
        boolean moveGid = gid >= from && gid - from < RANGE;
        if (!moveUid && !moveGid) {
            return;
        }
        int mode = (Integer) attributes.get("mode");
        boolean link = (mode & 0170000) == 0120000;
        if (moveUid) {
            Files.setAttribute(path, "unix:uid", to + (uid - from), LinkOption.NOFOLLOW_LINKS);
        }
        if (moveGid) {
            Files.setAttribute(path, "unix:gid", to + (gid - from), LinkOption.NOFOLLOW_LINKS);
        }
        if (!link && (mode & 06000) != 0) {
            // chown(2) clears set-user-ID and set-group-ID bits; put them back.
            Files.setAttribute(path, "unix:mode", mode & 07777, LinkOption.NOFOLLOW_LINKS);
        }
    }

    private static void shiftOne(Path path, int base) throws IOException {
        int uid = (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        int gid = (Integer) Files.getAttribute(path, "unix:gid", LinkOption.NOFOLLOW_LINKS);
        if (uid >= RANGE && gid >= RANGE) {
            return;
        }
        boolean link = Files.isSymbolicLink(path);
        int mode = link ? 0 : (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if (uid < RANGE) {
            Files.setAttribute(path, "unix:uid", base + uid, LinkOption.NOFOLLOW_LINKS);
        }
        if (gid < RANGE) {
            Files.setAttribute(path, "unix:gid", base + gid, LinkOption.NOFOLLOW_LINKS);
        }
        if (!link && (mode & 06000) != 0) {
            // chown(2) clears set-user-ID and set-group-ID bits; put them back.
            Files.setAttribute(path, "unix:mode", mode & 07777, LinkOption.NOFOLLOW_LINKS);
        }
    }
}

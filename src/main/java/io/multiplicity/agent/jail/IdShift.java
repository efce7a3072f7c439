package io.multiplicity.agent.jail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Shifts the ownership of a root file system into the host id range a user namespace maps: a
 * file owned by {@code uid} inside is owned by {@code base + uid} on the host. Symbolic links are
 * changed themselves, never followed; other file systems are not entered.
 *
 * <p>Images are shifted once, when they are built, and all jails share that range, as in LXD's
 * default map: root of a jail is an unprivileged id on the host, though the same one in every
 * jail. An id range per jail would mean shifting every clone (tens of milliseconds for the busybox
 * image on zfs-fuse, far more for big images) or idmapped mounts, which runc 1.1 lacks.
 */
public final class IdShift {

    /** Ids each jail gets: 0..65535 inside. */
    public static final int RANGE = 65536;

    private IdShift() {
    }

    /** Shifts every file under {@code root} whose owner is still in the unshifted range. */
    public static void shift(Path root, int base) {
        try {
            Object device = Files.getAttribute(root, "unix:dev", LinkOption.NOFOLLOW_LINKS);
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path directory, BasicFileAttributes attributes) throws IOException {
                    if (!device.equals(Files.getAttribute(directory, "unix:dev", LinkOption.NOFOLLOW_LINKS))) {
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    shiftOne(directory, base);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                    shiftOne(file, base);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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

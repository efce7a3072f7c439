package io.multiplicity.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/** Builds tar archives for the tests: real root file systems and malicious ones. */
public final class Tarballs {

    private Tarballs() {
    }

    /** A gzip-compressed tar written by {@code body}. */
    public static byte[] gzip(Consumer<TarArchiveOutputStream> body) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(bytes); TarArchiveOutputStream tar = new TarArchiveOutputStream(gz)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            body.accept(tar);
            tar.finish();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public static void file(TarArchiveOutputStream tar, String name, String content) {
        byte[] data = content.getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry entry = new TarArchiveEntry(name);
        entry.setSize(data.length);
        entry.setMode(0644);
        put(tar, entry, data);
    }

    public static void directory(TarArchiveOutputStream tar, String name) {
        TarArchiveEntry entry = new TarArchiveEntry(name.endsWith("/") ? name : name + "/");
        entry.setMode(0755);
        put(tar, entry, null);
    }

    public static void symlink(TarArchiveOutputStream tar, String name, String target) {
        TarArchiveEntry entry = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
        entry.setLinkName(target);
        put(tar, entry, null);
    }

    public static void hardlink(TarArchiveOutputStream tar, String name, String target) {
        TarArchiveEntry entry = new TarArchiveEntry(name, TarConstants.LF_LINK);
        entry.setLinkName(target);
        put(tar, entry, null);
    }

    public static void device(TarArchiveOutputStream tar, String name, int major, int minor) {
        TarArchiveEntry entry = new TarArchiveEntry(name, TarConstants.LF_CHR);
        entry.setDevMajor(major);
        entry.setDevMinor(minor);
        entry.setMode(0666);
        put(tar, entry, null);
    }

    /** A file of {@code bytes} zero bytes: compresses to almost nothing. */
    public static void zeros(TarArchiveOutputStream tar, String name, long bytes) {
        TarArchiveEntry entry = new TarArchiveEntry(name);
        entry.setSize(bytes);
        try {
            tar.putArchiveEntry(entry);
            byte[] block = new byte[1 << 20];
            for (long left = bytes; left > 0; left -= block.length) {
                tar.write(block, 0, (int) Math.min(block.length, left));
            }
            tar.closeArchiveEntry();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Everything under {@code root} (a root file system on this host, its owners shifted by
     * {@code idBase} when not negative, shifted back here), plus {@code extra} files.
     */
    public static void tree(TarArchiveOutputStream tar, Path root, int idBase, Map<String, String> extra) {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted().toList()) {
                if (path.equals(root)) {
                    continue;
                }
                String name = root.relativize(path).toString();
                int uid = (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
                int gid = (Integer) Files.getAttribute(path, "unix:gid", LinkOption.NOFOLLOW_LINKS);
                if (idBase >= 0) {
                    uid = uid >= idBase ? uid - idBase : uid;
                    gid = gid >= idBase ? gid - idBase : gid;
                }
                TarArchiveEntry entry;
                byte[] data = null;
                if (Files.isSymbolicLink(path)) {
                    entry = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
                    entry.setLinkName(Files.readSymbolicLink(path).toString());
                } else if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                    entry = new TarArchiveEntry(name + "/");
                } else if (Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
                    entry = new TarArchiveEntry(name);
                    data = Files.readAllBytes(path);
                    entry.setSize(data.length);
                } else {
                    continue;
                }
                if (!Files.isSymbolicLink(path)) {
                    entry.setMode((Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777);
                }
                entry.setUserId(uid);
                entry.setGroupId(gid);
                put(tar, entry, data);
            }
            for (Map.Entry<String, String> file : extra.entrySet()) {
                file(tar, file.getKey(), file.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes an entry as given (its size set by the caller) with {@code data}, or none when null. */
    public static void put(TarArchiveOutputStream tar, TarArchiveEntry entry, byte[] data) {
        try {
            tar.putArchiveEntry(entry);
            if (data != null) {
                tar.write(data);
            }
            tar.closeArchiveEntry();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

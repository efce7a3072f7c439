package io.multiplicity.agent.image;

import static io.multiplicity.support.Tarballs.device;
import static io.multiplicity.support.Tarballs.directory;
import static io.multiplicity.support.Tarballs.file;
import static io.multiplicity.support.Tarballs.hardlink;
import static io.multiplicity.support.Tarballs.symlink;
import static io.multiplicity.support.Tarballs.zeros;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiplicity.host.contract.ArchiveFormat;
import io.multiplicity.host.contract.ImageRefused;
import io.multiplicity.support.Tarballs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checks of imported root file system archives, on archives built here. */
class ImageArchiveTest {

    private static final ImageArchive.Limits LIMITS = new ImageArchive.Limits(16 << 20, 1000, false);

    @TempDir
    Path work;

    private Path write(byte[] data) throws IOException {
        Path file = Files.createTempFile(work, "archive", ".tar.gz");
        Files.write(file, data);
        return file;
    }

    private void refused(String reason, Consumer<TarArchiveOutputStream> body) throws IOException {
        Path archive = write(Tarballs.gzip(body));
        Path root = Files.createDirectory(work.resolve("root-" + reason + System.nanoTime()));
        assertThatThrownBy(() -> ImageArchive.scan(archive, LIMITS)).isInstanceOf(ImageRefused.class)
                .satisfies(e -> assertEquals(reason, ((ImageRefused) e).code(), e.getMessage()));
        assertThatThrownBy(() -> ImageArchive.extract(archive, root, LIMITS)).isInstanceOf(ImageRefused.class)
                .satisfies(e -> assertEquals(reason, ((ImageRefused) e).code(), e.getMessage()));
        assertThat(work.getParent().resolve("etc-written-by-test")).doesNotExist();
    }

    @Test
    void aGoodArchiveUnpacksWithItsLinksModesAndOwners() throws IOException {
        Path archive = write(Tarballs.gzip(tar -> {
            directory(tar, "./etc");
            file(tar, "./etc/hostname", "box\n");
            symlink(tar, "etc/localtime", "/usr/share/zoneinfo/UTC");
            symlink(tar, "etc/name", "hostname");
            hardlink(tar, "etc/hostname2", "etc/hostname");
            directory(tar, "usr/bin");
            file(tar, "usr/bin/tool", "#!/bin/sh\n");
        }));
        ImageArchive.Summary summary = ImageArchive.scan(archive, LIMITS);
        assertEquals(7, summary.entries());
        Path root = Files.createDirectory(work.resolve("root"));
        ImageArchive.extract(archive, root, LIMITS);
        assertEquals("box\n", Files.readString(root.resolve("etc/hostname")));
        assertEquals("/usr/share/zoneinfo/UTC", Files.readSymbolicLink(root.resolve("etc/localtime")).toString());
        assertEquals("box\n", Files.readString(root.resolve("etc/name")));
        assertEquals(2, (int) Files.getAttribute(root.resolve("etc/hostname"), "unix:nlink"));
        assertEquals(0644, (int) Files.getAttribute(root.resolve("etc/hostname"), "unix:mode") & 07777);
    }

    @Test
    void everyCompressionIsReadAndToldByItsBytes() throws Exception {
        byte[] plain = Tarballs.gzip(tar -> file(tar, "a", "a"));
        Path gz = write(plain);
        assertEquals(ArchiveFormat.TAR_GZ, ArchiveFormat.of(gz));
        for (String[] tool : new String[][] {{"xz", "-dc"}, {"zstd", "-dc"}}) {
            // Recompress the tar with the real tools, as a user would.
            Path tarFile = work.resolve("plain.tar");
            Process gunzip = new ProcessBuilder("gzip", "-dc", gz.toString()).redirectOutput(tarFile.toFile()).start();
            assertEquals(0, gunzip.waitFor());
            assertEquals(ArchiveFormat.TAR, ArchiveFormat.of(tarFile));
            Path compressed = work.resolve("a.tar." + tool[0]);
            Process process = new ProcessBuilder(tool[0], "-c", tarFile.toString()).redirectOutput(compressed.toFile()).start();
            assertEquals(0, process.waitFor(), tool[0]);
            assertEquals(1, ImageArchive.scan(compressed, LIMITS).entries(), tool[0]);
            assertEquals(tool[0].equals("xz") ? ArchiveFormat.TAR_XZ : ArchiveFormat.TAR_ZST,
                    ArchiveFormat.of(compressed));
        }
    }

    @Test
    void pathTraversalIsRefused() throws IOException {
        refused("path_traversal", tar -> file(tar, "etc/../../etc-written-by-test", "x"));
    }

    @Test
    void absolutePathsAreRefused() throws IOException {
        refused("absolute_path", tar -> {
            org.apache.commons.compress.archivers.tar.TarArchiveEntry entry =
                    new org.apache.commons.compress.archivers.tar.TarArchiveEntry("/tmp/etc-written-by-test", true);
            entry.setSize(1);
            Tarballs.put(tar, entry, new byte[] {'x'});
        });
    }

    @Test
    void symbolicLinksThatLeaveTheRootAreRefused() throws IOException {
        refused("link_escape", tar -> symlink(tar, "etc/up", "../../.."));
        refused("link_escape", tar -> {
            symlink(tar, "escape", "/tmp");
            file(tar, "escape/etc-written-by-test", "through the link");
        });
        refused("absolute_path", tar -> hardlink(tar, "passwd", "/etc/passwd"));
        refused("path_traversal", tar -> hardlink(tar, "passwd", "../../etc/passwd"));
    }

    @Test
    void deviceNodesAreRefusedUnlessAllowed() throws IOException {
        refused("device_node", tar -> device(tar, "dev/mem", 1, 1));
        Path archive = write(Tarballs.gzip(tar -> device(tar, "dev/null", 1, 3)));
        assertEquals(1, ImageArchive.scan(archive, new ImageArchive.Limits(1 << 20, 10, true)).entries());
    }

    @Test
    void aDecompressionBombStopsAtTheLimit() throws IOException {
        byte[] bomb = Tarballs.gzip(tar -> zeros(tar, "zeros", 64L << 20));
        assertThat(bomb.length).as("64 MiB of zeros compress to a few KiB").isLessThan(256 << 10);
        refused("too_large", tar -> zeros(tar, "zeros", 64L << 20));
        refused("too_many_entries", tar -> {
            for (int i = 0; i < 1001; i++) {
                file(tar, "f" + i, "");
            }
        });
    }

    @Test
    void truncatedAndForeignFilesAreRefused() throws IOException {
        byte[] good = Tarballs.gzip(tar -> file(tar, "big", "x".repeat(200_000)));
        Path cut = write(Arrays.copyOf(good, good.length / 2));
        assertThatThrownBy(() -> ImageArchive.scan(cut, LIMITS))
                .satisfies(e -> assertEquals("truncated", ((ImageRefused) e).code(), e.getMessage()));
        Path text = write("this is not a tar archive at all, just words.\n".repeat(40).getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> ImageArchive.scan(text, LIMITS)).isInstanceOf(ImageRefused.class);
    }

    @Test
    void ownersOutsideTheJailsIdRangeAreRefused() throws IOException {
        refused("bad_owner", tar -> {
            org.apache.commons.compress.archivers.tar.TarArchiveEntry entry =
                    new org.apache.commons.compress.archivers.tar.TarArchiveEntry("f");
            entry.setUserId(1_000_000);
            Tarballs.put(tar, entry, null);
        });
    }

    @Test
    void aFifoIsMadeWithItsModeWithoutOpeningIt() throws Exception {
        Path archive = write(Tarballs.gzip(tar -> {
            var fifo = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("run/pipe",
                    org.apache.commons.compress.archivers.tar.TarConstants.LF_FIFO);
            fifo.setMode(0620);
            Tarballs.put(tar, fifo, null);
        }));
        Path root = Files.createDirectory(work.resolve("root"));
        var done = java.util.concurrent.CompletableFuture.runAsync(() -> ImageArchive.extract(archive, root, LIMITS));
        done.get(20, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(Files.readAttributes(root.resolve("run/pipe"), java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther()).isTrue();
        assertEquals(0620, (int) Files.getAttribute(root.resolve("run/pipe"), "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777);
    }

    @Test
    void hugeHeadersAreRefusedBeforeTheyAreHeldInMemory() throws IOException {
        byte[] name = ("d/".repeat(1 << 20) + "f").getBytes(StandardCharsets.US_ASCII);
        // A GNU long-name entry ('L') and a PAX extended header ('x') of 2 MiB, written by hand:
        // the tar writers take minutes to format such names.
        byte[] pax = ((name.length + 12) + " path=" + new String(name, StandardCharsets.US_ASCII) + "\n")
                .getBytes(StandardCharsets.US_ASCII);
        for (Object[] header : new Object[][] {{'L', name}, {'x', pax}}) {
            byte[] data = (byte[]) header[1];
            java.io.ByteArrayOutputStream raw = new java.io.ByteArrayOutputStream();
            raw.write(tarHeader("././@LongLink", (char) header[0], data.length));
            raw.write(data);
            raw.write(new byte[(512 - data.length % 512) % 512]);
            raw.write(tarHeader("f", '0', 0));
            raw.write(new byte[1024]);
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            try (var gz = new java.util.zip.GZIPOutputStream(bytes)) {
                gz.write(raw.toByteArray());
            }
            Path archive = write(bytes.toByteArray());
            assertThatThrownBy(() -> ImageArchive.scan(archive, LIMITS))
                    .satisfies(e -> assertEquals("too_large", ((ImageRefused) e).code(), e.getMessage()));
        }
    }

    /** One 512-byte ustar header block. */
    private static byte[] tarHeader(String name, char type, long size) {
        byte[] block = new byte[512];
        byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(nameBytes, 0, block, 0, nameBytes.length);
        octal(block, 100, 8, 0644);
        octal(block, 108, 8, 0);
        octal(block, 116, 8, 0);
        octal(block, 124, 12, size);
        octal(block, 136, 12, 0);
        block[156] = (byte) type;
        System.arraycopy("ustar\u000000".getBytes(StandardCharsets.US_ASCII), 0, block, 257, 8);
        java.util.Arrays.fill(block, 148, 156, (byte) ' ');
        long sum = 0;
        for (byte b : block) {
            sum += b & 0xff;
        }
        octal(block, 148, 7, sum);
        return block;
    }

    private static void octal(byte[] block, int offset, int length, long value) {
        String digits = String.format("%0" + (length - 1) + "o", value);
        System.arraycopy(digits.getBytes(StandardCharsets.US_ASCII), 0, block, offset, length - 1);
    }

    /**
     * Links are checked against what the archive holds in linear time: four times the entries take
     * about four times as long, not sixteen (as a quadratic check did). Measured as a ratio of two
     * sizes in the same run, best of three each, so a loaded machine slows both alike.
     */
    @Test
    void manyLinksAreCheckedInLinearTime() throws IOException {
        double small = bestScanMillis(write(linksAndFiles(5_000)));
        double large = bestScanMillis(write(linksAndFiles(20_000)));
        assertThat(large / Math.max(small, 1.0)).as("scan of 40,000 entries (%.0f ms) against 10,000 (%.0f ms)", large,
                small).isLessThan(9.0);
    }

    private static byte[] linksAndFiles(int pairs) {
        return Tarballs.gzip(tar -> {
            for (int i = 0; i < pairs; i++) {
                symlink(tar, "l" + i, "t" + i);
                file(tar, "d" + i + "/f", "");
            }
        });
    }

    private static double bestScanMillis(Path archive) throws IOException {
        double best = Double.MAX_VALUE;
        for (int round = 0; round < 3; round++) {
            long started = System.nanoTime();
            ImageArchive.scan(archive, new ImageArchive.Limits(1 << 20, 100_000, false));
            best = Math.min(best, (System.nanoTime() - started) / 1e6);
        }
        return best;
    }

    @Test
    void sparseFilesAreRefused() throws IOException {
        Path archive = write(Tarballs.gzip(tar -> {
            var entry = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("sparse");
            entry.setSize(0);
            Tarballs.put(tar, entry, null);
        }));
        // GNU tar writes sparse files with --sparse; build one with the real tool.
        Path sparse = work.resolve("hole");
        try (var file = new java.io.RandomAccessFile(sparse.toFile(), "rw")) {
            file.setLength(64L << 20);
            file.seek(32L << 20);
            file.write(1);
        }
        Path tarFile = work.resolve("sparse.tar");
        Process tar = new ProcessBuilder("tar", "--sparse", "-cf", tarFile.toString(), "-C", work.toString(), "hole")
                .redirectErrorStream(true).start();
        try {
            assertEquals(0, tar.waitFor());
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
        assertThatThrownBy(() -> ImageArchive.scan(tarFile, new ImageArchive.Limits(1L << 30, 10, false)))
                .satisfies(e -> assertEquals("unsupported_entry", ((ImageRefused) e).code(), e.getMessage()));
        assertEquals(1, ImageArchive.scan(archive, LIMITS).entries());
    }

    @Test
    void extractionNeverFollowsALinkOnDisk() throws IOException {
        Path root = Files.createDirectory(work.resolve("root"));
        Path outside = Files.createDirectory(work.resolve("outside"));
        Files.createSymbolicLink(root.resolve("planted"), outside);
        Path archive = write(Tarballs.gzip(tar -> file(tar, "planted/file", "x")));
        assertThatThrownBy(() -> ImageArchive.extract(archive, root, LIMITS)).isInstanceOf(ImageRefused.class);
        try (Stream<Path> files = Files.list(outside)) {
            assertThat(files).isEmpty();
        }
        assertThat(Files.isSymbolicLink(root.resolve("planted"))).isTrue();
        assertThat(Files.exists(outside.resolve("file"), LinkOption.NOFOLLOW_LINKS)).isFalse();
    }
}

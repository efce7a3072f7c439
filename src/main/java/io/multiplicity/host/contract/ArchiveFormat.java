package io.multiplicity.host.contract;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The formats of a root file system archive that image stores take, told apart by the first bytes
 * of the file (its magic number), never by its name.
 */
public enum ArchiveFormat {
    TAR("tar"),
    TAR_GZ("tar.gz"),
    TAR_XZ("tar.xz"),
    TAR_ZST("tar.zst");

    private final String label;

    ArchiveFormat(String label) {
        this.label = label;
    }

    /** How clients name the format ({@code tar.gz}, …). */
    public String label() {
        return label;
    }

    /** The format of a file, from its first bytes: gzip, xz or zstd magic, else a plain tar. */
    public static ArchiveFormat of(Path archive) {
        byte[] head = new byte[6];
        int read;
        try (InputStream in = Files.newInputStream(archive)) {
            read = in.readNBytes(head, 0, head.length);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (read >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
            return TAR_GZ;
        }
        if (read >= 6 && (head[0] & 0xff) == 0xfd && head[1] == '7' && head[2] == 'z' && head[3] == 'X' && head[4] == 'Z'
                && head[5] == 0) {
            return TAR_XZ;
        }
        if (read >= 4 && (head[0] & 0xff) == 0x28 && (head[1] & 0xff) == 0xb5 && (head[2] & 0xff) == 0x2f
                && (head[3] & 0xff) == 0xfd) {
            return TAR_ZST;
        }
        return TAR;
    }
}

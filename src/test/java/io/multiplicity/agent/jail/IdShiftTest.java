package io.multiplicity.agent.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Moving a root file system between host id ranges, on a real file system (needs root to chown). */
class IdShiftTest {

    @TempDir
    Path root;

    @Test
    void aRootMadeForOneJailMovesIntoAnothersRangeWithItsSetUserIdBitsAndLinks() throws Exception {
        boolean isRoot = "root".equals(System.getProperty("user.name"));
        if (!isRoot) {
            System.err.println("SKIPPED IdShiftTest: changing owners needs root");
        }
        Assumptions.assumeTrue(isRoot);
        int first = JailIdRanges.FIRST_JAIL_BASE;
        int second = first + IdShift.RANGE;
        Path program = Files.createDirectories(root.resolve("usr/bin")).resolve("su");
        Files.writeString(program, "#!/bin/sh\n");
        Path home = Files.createDirectories(root.resolve("home/user"));
        Path link = root.resolve("usr/bin/link");
        Files.createSymbolicLink(link, Path.of("/nowhere"));
        IdShift.shift(root, first);
        Files.setAttribute(home, "unix:uid", first + 1000, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(program, "unix:mode", 04755, LinkOption.NOFOLLOW_LINKS);

        assertEquals(first, IdShift.rangeOf(root), "the range is read from the root directory's owner");
        IdShift.reshift(root, IdShift.rangeOf(root), second);

        assertEquals(second, IdShift.rangeOf(root));
        assertEquals(second, uid(program));
        assertEquals(second + 1000, uid(home), "ids inside keep their offset");
        assertEquals(second, uid(link), "a link is moved itself, never followed");
        assertEquals(04755, (Integer) Files.getAttribute(program, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777,
                "the set-user-ID bit chown clears is put back");
    }

    private static int uid(Path path) throws Exception {
        return (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    }
}

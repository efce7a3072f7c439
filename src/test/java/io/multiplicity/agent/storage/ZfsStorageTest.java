package io.multiplicity.agent.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiplicity.agent.jail.JailHost;
import io.multiplicity.agent.support.Command;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The ZFS driver against a real pool on a file under {@code target/}. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ZfsStorageTest {

    private Path directory;
    private ZfsStorage storage;

    @BeforeAll
    void createPool() throws Exception {
        String reason = !Command.run("sh", "-c", "command -v zpool").ok() ? "zpool is not installed"
                : !"root".equals(System.getProperty("user.name")) ? "ZFS needs root" : null;
        if (reason != null) {
            System.err.println("SKIPPED ZfsStorageTest: " + reason);
        }
        Assumptions.assumeTrue(reason == null, reason);
        String suffix = HexFormat.of().toHexDigits((short) ThreadLocalRandom.current().nextInt());
        directory = Path.of("target", "zfstest-" + suffix).toAbsolutePath();
        storage = new ZfsStorage("mpz" + suffix);
        storage.ensurePool(directory.resolve("pool.img"), 2, directory.resolve("mnt"), directory.resolve("zfs-fuse.pid"));
        Path image = storage.createImageDataset("tiny");
        Files.writeString(image.resolve("hello"), "from the image\n");
        Command.check("sync");
        storage.snapshotImage("tiny", 1);
    }

    @AfterAll
    void destroyPool() {
        if (storage != null) {
            storage.destroyPool();
            JailHost.deleteTree(directory);
        }
    }

    @Test
    void clonesAnInstanceWithItsQuotaSnapshotsAndRollsBack() throws Exception {
        assertEquals(1, storage.latestImageVersion("tiny").orElseThrow());
        assertEquals(-1, storage.imageIdBase("tiny"), "no user namespace recorded for a plain image");
        UUID id = UUID.randomUUID();
        Path root = storage.cloneInstance(id, "tiny", 1, 1);
        assertEquals(root, storage.cloneInstance(id, "tiny", 1, 1), "cloning again changes nothing");
        assertEquals("from the image\n", Files.readString(root.resolve("hello")));
        String dataset = storage.instanceDataset(id);
        assertTrue(dataset.endsWith("/multiplicity/instances/" + id));
        assertEquals(storage.imageDataset("tiny") + "@v1", storage.get(dataset, "origin"));
        assertEquals(1L << 30, Long.parseLong(storage.get(dataset, "quota")));

        storage.snapshot(id, "before");
        Files.writeString(root.resolve("hello"), "changed\n");
        Files.write(root.resolve("data"), new byte[1 << 20]);
        Command.check("sync");
        storage.rollback(id, "before");
        root = storage.instanceMountpoint(id);
        assertEquals("from the image\n", Files.readString(root.resolve("hello")));
        assertFalse(Files.exists(root.resolve("data")));
        assertEquals(List.of("before"), storage.snapshots(id));

        storage.setQuota(id, 2);
        DatasetUsage usage = storage.usage(id);
        System.out.println("[zfs] " + dataset + " origin " + storage.get(dataset, "origin") + " " + usage);
        assertEquals(2L << 30, usage.quotaBytes());
        assertTrue(usage.referencedBytes() > 0);
        assertTrue(usage.compressRatio() >= 1.0);

        storage.destroySnapshot(id, "before");
        assertEquals(List.of(), storage.snapshots(id));
        storage.snapshot(id, "again");
        storage.destroyInstance(id);
        assertFalse(storage.exists(dataset));
        storage.destroyInstance(id);
    }

    /**
     * A moving instance's stream, from this pool into another host's pool that built the same image
     * version itself (so its snapshot is another one, as on every host): the data, the snapshots and
     * the quota arrive, and the sending side's move snapshot is gone afterwards.
     */
    @Test
    void anInstanceMovesToAPoolWhoseImageWasBuiltThereWithItsDataAndSnapshots() throws Exception {
        String suffix = HexFormat.of().toHexDigits((short) ThreadLocalRandom.current().nextInt());
        Path otherDirectory = Path.of("target", "zfstest-" + suffix).toAbsolutePath();
        ZfsStorage other = new ZfsStorage("mpz" + suffix);
        try {
            other.ensurePool(otherDirectory.resolve("pool.img"), 1, otherDirectory.resolve("mnt"),
                    otherDirectory.resolve("zfs-fuse.pid"));
            Files.writeString(other.createImageDataset("tiny").resolve("hello"), "from the image\n");
            Command.check("sync");
            other.snapshotImage("tiny", 1);

            UUID id = UUID.randomUUID();
            Path root = storage.cloneInstance(id, "tiny", 1, 1);
            Files.writeString(root.resolve("marker"), "before the first snapshot\n");
            Command.check("sync");
            storage.snapshot(id, "first");
            Files.writeString(root.resolve("marker"), "after the first snapshot\n");
            Command.check("sync");
            storage.snapshot(id, "second");
            Files.writeString(root.resolve("latest"), "written last\n");
            Command.check("sync");

            try (java.io.InputStream stream = storage.send(id)) {
                other.receive(id, stream);
            }
            Path moved = other.instanceMountpoint(id);
            assertEquals("after the first snapshot\n", Files.readString(moved.resolve("marker")));
            assertEquals("written last\n", Files.readString(moved.resolve("latest")));
            assertEquals("from the image\n", Files.readString(moved.resolve("hello")));
            assertEquals(List.of("first", "second"), other.snapshots(id), "the tenant's snapshots arrived, in order");
            assertEquals(1L << 30, Long.parseLong(other.get(other.instanceDataset(id), "quota")), "the quota arrived");
            assertEquals(List.of("first", "second"), storage.snapshots(id), "the sender's move snapshot is gone");
            other.rollback(id, "first");
            assertEquals("before the first snapshot\n",
                    Files.readString(other.instanceMountpoint(id).resolve("marker")), "a moved snapshot rolls back");
            storage.destroyInstance(id);
        } finally {
            other.destroyPool();
            JailHost.deleteTree(otherDirectory);
        }
    }

    /** A stream that ends before its last part leaves no dataset on the receiving side, and says why. */
    @Test
    void aStreamThatBreaksOffLeavesNoDataset() throws Exception {
        UUID id = UUID.randomUUID();
        Path root = storage.cloneInstance(id, "tiny", 1, 1);
        Files.writeString(root.resolve("marker"), "marker\n");
        Command.check("sync");
        storage.snapshot(id, "first");
        byte[] whole;
        try (java.io.InputStream stream = storage.send(id)) {
            whole = stream.readAllBytes();
        }
        storage.destroyInstance(id);
        byte[] part = java.util.Arrays.copyOf(whole, whole.length * 2 / 3);
        java.io.IOException broken = assertThrows(java.io.IOException.class,
                () -> storage.receive(id, new java.io.ByteArrayInputStream(part)));
        System.out.println("[zfs] a broken-off stream: " + broken.getMessage());
        assertTrue(broken.getMessage().contains("broke off"), broken.getMessage());
        assertFalse(storage.exists(storage.instanceDataset(id)), "no partial dataset is left");

        storage.receive(id, new java.io.ByteArrayInputStream(whole));
        assertEquals("marker\n", Files.readString(storage.instanceMountpoint(id).resolve("marker")),
                "the whole stream is received into the same pool");
        storage.destroyInstance(id);
    }

    @Test
    void refusesNamesThatAreNotDatasetComponents() {
        assertThrows(IllegalArgumentException.class, () -> storage.imageDataset("../etc"));
        assertThrows(IllegalArgumentException.class, () -> storage.snapshot(UUID.randomUUID(), "a@b"));
    }
}

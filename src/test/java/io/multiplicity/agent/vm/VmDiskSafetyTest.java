package io.multiplicity.agent.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.multiplicity.agent.jail.JailDriver;
import io.multiplicity.agent.jail.JailHost;
import io.multiplicity.agent.storage.ZfsStorage;
import io.multiplicity.agent.support.Command;
import io.multiplicity.host.contract.InstanceSpec;
import io.multiplicity.host.contract.InstanceStatus.State;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The VM driver never destroys a disk it did not make: provisioning a VM whose dataset exists but
 * whose {@code vm.json} cannot be read at that moment fails and keeps the disk. Needs no KVM: the
 * VMs are only provisioned (on real ZFS), never booted, from an image made here.
 */
class VmDiskSafetyTest {

    private static final String IMAGE = "handmade-vm";

    static JailHost host;
    static VmDriver driver;
    static ZfsStorage storage;

    @BeforeAll
    static void startHost() throws IOException {
        String missing = JailHost.unavailableReason();
        if (missing == null && !Command.run("sh", "-c", "command -v qemu-system-x86_64").ok()) {
            missing = "QEMU is not installed (the VM driver needs a hypervisor to offer VMs)";
        }
        if (missing != null) {
            System.err.println("SKIPPED VmDiskSafetyTest: " + missing);
        }
        Assumptions.assumeTrue(missing == null, missing);
        host = new JailHost("vm-disk", 64);
        JailDriver jails = host.start();
        storage = jails.storage();
        driver = new VmDriver(host.config(), VmConfig.defaults(), storage, jails.network());
        assertThat(driver.facts().kinds()).as("problems: " + driver.facts().problems()).contains("vm");
        Path root = storage.createImageDataset(IMAGE);
        new VmImage("kernel", false, false, "console=ttyS0", null, false).write(root);
        Files.write(root.resolve("kernel"), new byte[4096]);
        try (RandomAccessFile disk = new RandomAccessFile(root.resolve("disk.raw").toFile(), "rw")) {
            disk.setLength(64L << 20);
        }
        storage.snapshotImage(IMAGE, 1);
    }

    @AfterAll
    static void removeHost() {
        if (driver != null) {
            driver.list().forEach(status -> driver.destroy(status.id()));
            driver.close();
        }
        if (host != null) {
            host.close();
        }
    }

    private static InstanceSpec spec(String name, String image) {
        return new InstanceSpec(UUID.randomUUID(), UUID.randomUUID(), name, "vm", image, 1, 64, 1, null);
    }

    @Test
    void aVmWhoseManifestCannotBeReadKeepsItsDisk() throws IOException {
        InstanceSpec spec = spec("keep", IMAGE);
        assertEquals(State.STOPPED, driver.provision(spec).state());
        Path root = storage.instanceMountpoint(spec.id());
        try (RandomAccessFile disk = new RandomAccessFile(root.resolve("disk.raw").toFile(), "rw")) {
            disk.seek(1 << 20);
            disk.write("the tenant's data".getBytes());
        }
        Files.move(root.resolve(VmImage.MANIFEST), root.resolve(VmImage.MANIFEST + ".away"));

        assertThrows(IllegalStateException.class, () -> driver.provision(spec));
        assertThrows(IllegalStateException.class, () -> driver.start(spec));

        assertThat(storage.exists(storage.instanceDataset(spec.id()))).as("the dataset is kept").isTrue();
        byte[] kept = new byte[17];
        try (RandomAccessFile disk = new RandomAccessFile(root.resolve("disk.raw").toFile(), "r")) {
            disk.seek(1 << 20);
            disk.readFully(kept);
        }
        assertEquals("the tenant's data", new String(kept), "the disk is as the tenant left it");

        Files.move(root.resolve(VmImage.MANIFEST + ".away"), root.resolve(VmImage.MANIFEST));
        assertEquals(State.STOPPED, driver.provision(spec).state(), "provisioning goes on once vm.json reads again");
        driver.destroy(spec.id());
        assertThat(storage.exists(storage.instanceDataset(spec.id()))).isFalse();
    }

    @Test
    void anImageThatIsNoVmImageLeavesNothingBehind() {
        InstanceSpec spec = spec("notavm", "busybox");
        assertThrows(IllegalArgumentException.class, () -> driver.provision(spec));
        assertThat(storage.exists(storage.instanceDataset(spec.id()))).as("what the call cloned is removed").isFalse();
    }
}

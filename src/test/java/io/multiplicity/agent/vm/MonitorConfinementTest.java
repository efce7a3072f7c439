package io.multiplicity.agent.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiplicity.agent.support.InstanceDirectories;
import io.multiplicity.host.contract.InstanceSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the VM driver confines mvm: one uid per VM, kept while the VM exists, and mvm's command line. No KVM needed. */
class MonitorConfinementTest {

    private static final int BASE = VmConfig.MONITOR_ID_BASE;

    @TempDir
    Path data;

    private InstanceDirectories<String> directories() {
        return new InstanceDirectories<>(data.resolve("vms"), String.class, "");
    }

    /** A VM the driver knows: its directory holds a record. */
    private UUID vm(InstanceDirectories<String> directories) {
        UUID id = UUID.randomUUID();
        directories.writeRecord(id, "record");
        return id;
    }

    @Test
    void eachVmGetsTheLowestFreeIdAndKeepsItUntilItIsDestroyed() {
        InstanceDirectories<String> directories = directories();
        MonitorIds ids = new MonitorIds(directories, BASE, 3);
        UUID first = vm(directories);
        UUID second = vm(directories);
        assertEquals(BASE, ids.of(first));
        assertEquals(BASE + 1, ids.of(second));
        assertEquals(BASE, ids.of(first), "a VM's id does not change between starts");
        assertEquals(BASE + 1, new MonitorIds(directories, BASE, 3).of(second), "nor when the agent restarts");

        directories.delete(first);
        UUID third = vm(directories);
        assertEquals(BASE, ids.of(third), "a destroyed VM's id is free again");
        UUID fourth = vm(directories);
        assertEquals(BASE + 2, ids.of(fourth));
        assertEquals(BASE + 1, ids.held(second), "ids of VMs that still exist are never handed out again");
        UUID fifth = vm(directories);
        assertTrue(assertThrows(IllegalStateException.class, () -> ids.of(fifth)).getMessage()
                .contains("no monitor id left"));
    }

    @Test
    void idsAreHandedOutOnceUnderConcurrentStarts() throws InterruptedException {
        InstanceDirectories<String> directories = directories();
        MonitorIds ids = new MonitorIds(directories, BASE, 64);
        List<UUID> vms = IntStream.range(0, 16).mapToObj(i -> vm(directories)).toList();
        List<Integer> given = Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = vms.stream().map(id -> Thread.ofPlatform().start(() -> given.add(ids.of(id)))).toList();
        for (Thread thread : threads) {
            thread.join();
        }
        assertEquals(16, given.stream().distinct().count());
    }

    @Test
    void aRangeMustHoldPositiveIds() {
        assertThrows(IllegalArgumentException.class, () -> new MonitorIds(directories(), 0, 10));
        assertThrows(IllegalArgumentException.class, () -> new MonitorIds(directories(), BASE, 0));
        assertNotEquals(0, BASE);
        assertTrue(BASE >= (1 << 20) + 65536, "above the jails' user-namespace range");
    }

    @Test
    void mvmIsStartedWithItsJailAndIds() {
        InstanceDirectories<String> directories = directories();
        VmFiles files = new VmFiles(data.resolve("run/vm"), directories);
        UUID id = vm(directories);
        Path root = files.prepareMonitorRoot(id);
        assertTrue(Files.isDirectory(root));
        assertEquals(directories.of(id).resolve("monitor-root"), root);

        InstanceSpec spec = new InstanceSpec(id, UUID.randomUUID(), "vm-1", "vm", "mvm-test", 1, 64, 1, null);
        VmImage image = new VmImage("kernel", false, false, "console=ttyS0", null, false);
        MvmHypervisor mvm = new MvmHypervisor(Path.of("mvm"));
        List<String> confined = mvm.command(files.launch(spec, image, data.resolve("dataset"), "mv0", "kvm",
                new Hypervisor.Confinement(BASE + 7, BASE + 7, root)));
        int jail = confined.indexOf("--jail");
        assertTrue(jail > 0, String.join(" ", confined));
        assertEquals(List.of("--jail", root.toString(), "--uid", Integer.toString(BASE + 7), "--gid",
                Integer.toString(BASE + 7)), confined.subList(jail, jail + 6));
        assertTrue(confined.contains("--disk") && confined.contains(files.controlSocket(id).toString()));

        List<String> plain = mvm.command(files.launch(spec, image, data.resolve("dataset"), null, "kvm", null));
        assertFalse(plain.contains("--jail") || plain.contains("--uid") || plain.contains("--gid"));
    }
}

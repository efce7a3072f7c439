package io.multiplicity.agent.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiplicity.host.contract.InstanceSpec;
import io.multiplicity.host.contract.InstanceSpec.NetworkAttachment;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class OciBundleTest {

    private static final UUID ID = UUID.randomUUID();

    private static Map<String, Object> config() {
        InstanceSpec spec = new InstanceSpec(ID, UUID.randomUUID(), "web-1", "jail", "busybox", 2, 256, 5,
                new NetworkAttachment(101, "10.231.101.11", 24, "10.231.101.1"));
        return OciBundle.config(spec, Path.of("/pool/multiplicity/instances/" + ID), "/multiplicity/" + ID, 512,
                1 << 20);
    }

    @Test
    @SuppressWarnings("unchecked")
    void hasItsOwnNamespacesRootAndHostname() {
        Map<String, Object> config = config();
        assertEquals("web-1", config.get("hostname"));
        assertEquals("/pool/multiplicity/instances/" + ID, ((Map<String, Object>) config.get("root")).get("path"));
        Map<String, Object> linux = (Map<String, Object>) config.get("linux");
        List<Map<String, Object>> namespaces = (List<Map<String, Object>>) linux.get("namespaces");
        assertEquals(List.of("pid", "mount", "uts", "ipc", "network", "cgroup", "user"),
                namespaces.stream().map(namespace -> namespace.get("type")).collect(Collectors.toList()));
        assertEquals(List.of(Map.of("containerID", 0, "hostID", 1 << 20, "size", 65536)), linux.get("uidMappings"));
        assertEquals(linux.get("uidMappings"), linux.get("gidMappings"));
        Map<String, Object> process = (Map<String, Object>) config.get("process");
        assertEquals(List.of("/sbin/init"), process.get("args"));
        assertTrue((Boolean) process.get("terminal"));
        assertTrue(((List<String>) process.get("env")).contains("MULTIPLICITY_ADDRESS=10.231.101.11/24"));
        assertTrue(((List<String>) process.get("env")).contains("MULTIPLICITY_GATEWAY=10.231.101.1"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void limitsCpuMemoryAndProcesses() {
        Map<String, Object> resources = (Map<String, Object>) ((Map<String, Object>) config().get("linux")).get("resources");
        Map<String, Object> memory = (Map<String, Object>) resources.get("memory");
        Map<String, Object> cpu = (Map<String, Object>) resources.get("cpu");
        assertEquals(256L << 20, memory.get("limit"));
        assertEquals(2048L, cpu.get("shares"));
        assertEquals(200_000L, cpu.get("quota"));
        assertEquals(100_000L, cpu.get("period"));
        assertEquals(Map.of("limit", 512), resources.get("pids"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void keepsAJailLikeCapabilitySetAndFiltersDangerousSyscalls() {
        Map<String, Object> process = (Map<String, Object>) config().get("process");
        List<String> bounding = (List<String>) ((Map<String, Object>) process.get("capabilities")).get("bounding");
        assertFalse(bounding.contains("CAP_SYS_ADMIN"));
        assertFalse(bounding.contains("CAP_SYS_MODULE"));
        assertFalse(bounding.contains("CAP_SYS_TIME"));
        assertTrue(bounding.contains("CAP_NET_RAW"));
        Map<String, Object> seccomp = (Map<String, Object>) ((Map<String, Object>) config().get("linux")).get("seccomp");
        assertEquals("SCMP_ACT_ERRNO", seccomp.get("defaultAction"), "an allowlist: what is not named is refused");
        List<String> allowed = allowedUnconditionally(seccomp);
        assertTrue(allowed.containsAll(List.of("read", "execve", "reboot", "sethostname")));
        for (String refused : List.of("kexec_load", "init_module", "bpf", "mount", "setns", "unshare", "keyctl",
                "io_uring_setup", "open_by_handle_at", "clone")) {
            assertFalse(allowed.contains(refused), refused + " is not allowed without conditions");
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void anImagesAllowancesOpenIoUringAndNestedUserNamespaces() {
        Map<String, Object> plain = SeccompProfile.of(false, java.util.Set.of());
        Map<String, Object> allowed = SeccompProfile.of(false, java.util.EnumSet.allOf(SeccompProfile.Allowance.class));
        assertFalse(allowedUnconditionally(plain).contains("io_uring_setup"));
        assertTrue(allowedUnconditionally(allowed).contains("io_uring_setup"));
        assertEquals(SeccompProfile.CLONE_NEW_ANY, cloneMask(plain));
        assertEquals(SeccompProfile.CLONE_NEW_ANY & ~SeccompProfile.CLONE_NEWUSER, cloneMask(allowed));
        assertEquals(SeccompProfile.CLONE_NEWUSER, cloneMask(SeccompProfile.of(true, java.util.Set.of())),
                "systemd jails may create every namespace but a user namespace");
    }

    @SuppressWarnings("unchecked")
    private static List<String> allowedUnconditionally(Map<String, Object> seccomp) {
        return ((List<Map<String, Object>>) seccomp.get("syscalls")).stream()
                .filter(rule -> "SCMP_ACT_ALLOW".equals(rule.get("action")) && !rule.containsKey("args"))
                .flatMap(rule -> ((List<String>) rule.get("names")).stream()).toList();
    }

    @SuppressWarnings("unchecked")
    private static long cloneMask(Map<String, Object> seccomp) {
        Map<String, Object> clone = ((List<Map<String, Object>>) seccomp.get("syscalls")).stream()
                .filter(rule -> ((List<String>) rule.get("names")).equals(List.of("clone"))).findFirst().orElseThrow();
        return (Long) ((List<Map<String, Object>>) clone.get("args")).get(0).get("value");
    }

    @Test
    @SuppressWarnings("unchecked")
    void aSystemdJailGetsItsCgroupTreeTmpfsAndTheNamespaceBoundPrivilegesItNeeds() {
        InstanceSpec spec = new InstanceSpec(ID, UUID.randomUUID(), "deb1", "jail", "debian", 1, 512, 4,
                new NetworkAttachment(101, "10.231.101.11", 24, "10.231.101.1"));
        OciBundle.JailSetup setup = new OciBundle.JailSetup(JailInit.SYSTEMD, Path.of("/data/jails/x/resolv.conf"),
                Path.of("/data/jails/x/network.conf"), null, "1");
        Map<String, Object> config = OciBundle.config(spec, Path.of("/pool/x"), "/multiplicity/" + ID, 512, 1 << 20, setup);
        List<Map<String, Object>> mounts = (List<Map<String, Object>>) config.get("mounts");
        Map<String, String> types = mounts.stream().collect(Collectors.toMap(
                mount -> (String) mount.get("destination"), mount -> (String) mount.get("type"), (a, b) -> b));
        assertEquals("cgroup2", types.get("/sys/fs/cgroup"));
        assertEquals("tmpfs", types.get("/run"));
        assertEquals("tmpfs", types.get("/run/lock"));
        assertEquals("tmpfs", types.get("/tmp"));
        assertEquals("bind", types.get(OciBundle.NETWORKD_FILE));
        Map<String, Object> process = (Map<String, Object>) config.get("process");
        List<String> bounding = (List<String>) ((Map<String, Object>) process.get("capabilities")).get("bounding");
        assertTrue(bounding.contains("CAP_SYS_ADMIN"), "in its user namespace only");
        assertFalse(bounding.contains("CAP_SYS_MODULE"));
        assertFalse(bounding.contains("CAP_SYS_TIME"));
        Map<String, Object> linux = (Map<String, Object>) config.get("linux");
        List<String> allowed = allowedUnconditionally((Map<String, Object>) linux.get("seccomp"));
        assertTrue(allowed.contains("mount"));
        for (String refused : List.of("kexec_load", "init_module", "bpf", "keyctl", "open_by_handle_at")) {
            assertFalse(allowed.contains(refused), refused);
        }
        assertEquals("1", ((Map<String, Object>) ((Map<String, Object>) linux.get("resources")).get("cpu")).get("cpus"));

        Map<String, Object> withoutUserNamespace = OciBundle.config(spec, Path.of("/pool/x"), "/multiplicity/" + ID, 512,
                -1, setup);
        List<String> hostRootBounding = (List<String>) ((Map<String, Object>) ((Map<String, Object>) withoutUserNamespace
                .get("process")).get("capabilities")).get("bounding");
        assertFalse(hostRootBounding.contains("CAP_SYS_ADMIN"), "never host root's CAP_SYS_ADMIN");
    }

    @Test
    void theInitIsReadFromTheImage() throws Exception {
        Path root = java.nio.file.Files.createTempDirectory("jail-root");
        java.nio.file.Files.createDirectories(root.resolve("sbin"));
        assertEquals(JailInit.PLAIN, JailInit.of(root));
        java.nio.file.Files.createSymbolicLink(root.resolve("sbin/init"), Path.of("/lib/systemd/systemd"));
        assertEquals(JailInit.SYSTEMD, JailInit.of(root));
        java.nio.file.Files.delete(root.resolve("sbin/init"));
        java.nio.file.Files.createSymbolicLink(root.resolve("sbin/init"), Path.of("/bin/busybox"));
        assertEquals(JailInit.PLAIN, JailInit.of(root));
        java.nio.file.Files.delete(root.resolve("sbin/init"));
        java.nio.file.Files.delete(root.resolve("sbin"));
        java.nio.file.Files.delete(root);
    }

    @Test
    void cpuListsAreParsed() {
        assertEquals(List.of(0, 1, 2, 3, 6), CpuPinning.parse("0-3,6"));
    }
}

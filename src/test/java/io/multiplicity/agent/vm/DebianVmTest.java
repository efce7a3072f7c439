package io.multiplicity.agent.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiplicity.agent.jail.JailDriver;
import io.multiplicity.agent.jail.JailHost;
import io.multiplicity.agent.network.TenantNetworks;
import io.multiplicity.agent.network.TenantNetworks.Uplink;
import io.multiplicity.agent.network.TestInternet;
import io.multiplicity.agent.support.Command;
import io.multiplicity.agent.support.Processes;
import io.multiplicity.host.contract.InstanceMetadata;
import io.multiplicity.host.contract.InstanceSpec;
import io.multiplicity.host.contract.InstanceSpec.NetworkAttachment;
import io.multiplicity.host.contract.InstanceStatus;
import io.multiplicity.host.contract.InstanceStatus.State;
import io.multiplicity.host.contract.PublicAccess;
import io.multiplicity.host.contract.PublicAccess.Exposure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A stock Debian 12 cloud guest ({@code scripts/build-image.sh debian-vm}: systemd, cloud-init,
 * openssh-server, no network configuration of the project's) as a tenant lives in it, on QEMU
 * (under TCG where there is no KVM), real ZFS, a tap on the tenant bridge, nftables and the
 * network's dnsmasq, against a little internet of the test's own ({@link TestInternet}: an upstream
 * with a DNS server for {@code upstream.test} and a web server, a client namespace on the
 * "internet"). It boots twice in all: once to check everything a tenant does in it, and once more
 * after it powered itself off, to check that its user-data does not run again.
 *
 * <p>Guest commands run through SSH with the key the instance was created with.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DebianVmTest {

    static final Path IMAGE_SOURCE = Path.of("data", "vm-images", VmImageBuilder.DEBIAN_VM).toAbsolutePath();
    static final String UPSTREAM_ADDRESS = TestInternet.UPSTREAM_ADDRESS;
    static final String FLOATING = TestInternet.PUBLIC + ".30";
    static final Duration BOOT_TIMEOUT = Duration.ofMinutes(6);

    static TestInternet internet;
    static JailHost host;
    static JailDriver jails;
    static VmDriver vms;
    static Path keys;
    static String page;
    static InstanceSpec vm;
    static InstanceSpec peer;
    static InstanceSpec globex;
    static final List<InstanceSpec> jailSpecs = new ArrayList<>();

    @BeforeAll
    static void buildTheInternetAndTheHost() throws IOException {
        String missing = unavailableReason();
        if (missing != null) {
            System.err.println("SKIPPED DebianVmTest: " + missing);
        }
        Assumptions.assumeTrue(missing == null, missing);

        internet = new TestInternet();
        Path upstreamFiles = Files.createDirectories(Path.of("target", "upstream-" + internet.suffix).toAbsolutePath());
        page = "hello from the upstream " + internet.suffix;
        Files.writeString(upstreamFiles.resolve("index.html"), page + "\n");
        TestInternet.sh("ip netns exec " + internet.upstream + " dnsmasq --conf-file=/dev/null --no-resolv --no-hosts"
                        + " --bind-interfaces --listen-address=" + UPSTREAM_ADDRESS + " --local=/upstream.test/"
                        + " --host-record=www.upstream.test," + UPSTREAM_ADDRESS
                        + " --pid-file=" + upstreamFiles.resolve("dnsmasq.pid"),
                "ip netns exec " + internet.upstream + " busybox httpd -p " + UPSTREAM_ADDRESS + ":80 -h " + upstreamFiles);

        keys = Files.createDirectories(Path.of("target", "debian-vm-keys-" + internet.suffix).toAbsolutePath());
        for (String key : List.of("given", "other")) {
            Command.run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", key + "@debian-vm-test",
                    "-f", keys.resolve(key).toString()).check();
        }

        host = new JailHost("debian-vm", 128, 8).withUplink(new Uplink(internet.uplink, List.of(UPSTREAM_ADDRESS)));
        jails = host.start();
        long importing = System.nanoTime();
        vms = new VmDriver(host.config(), VmConfig.defaults().withDebianImageSource(IMAGE_SOURCE)
                .withRestartPolicy("on-crash"), jails.storage(), jails.network());
        assertTrue(jails.storage().imageVersionExists(VmImageBuilder.DEBIAN_VM, VmImageBuilder.VERSION),
                "the agent imported the built image: " + vms.facts().problems());
        System.out.printf("DebianVmTest: the agent imported debian-vm in %d ms%n", (System.nanoTime() - importing) / 1_000_000);

        String userData = """
                #cloud-config
                runcmd:
                  - echo "runcmd ran in $(hostname)" >> /root/runcmd-ran
                """;
        vm = new InstanceSpec(UUID.randomUUID(), UUID.randomUUID(), "web1", "vm", VmImageBuilder.DEBIAN_VM, 2, 768, 3,
                new NetworkAttachment(61, "10.236.61.10", 24, "10.236.61.1", "acme.internal", true),
                new InstanceMetadata(List.of(publicKey("given")), userData));
        peer = jail("peer", vm.tenantId(), 61, 11, "acme.internal");
        globex = jail("web1", UUID.randomUUID(), 62, 10, "globex.internal");
    }

    @AfterAll
    static void tearDown() {
        if (vms != null) {
            jails.network().tenants().publish(PublicAccess.none());
            if (vm != null) {
                vms.destroy(vm.id());
            }
            vms.close();
        }
        if (jails != null) {
            for (InstanceSpec jail : jailSpecs) {
                jails.destroy(jail.id());
            }
        }
        if (host != null) {
            host.close();
        }
        if (internet != null) {
            internet.close();
        }
        if (keys != null) {
            JailHost.deleteTree(keys);
        }
    }

    /** Why the test cannot run here, or null. */
    static String unavailableReason() {
        String missing = JailHost.unavailableReason();
        if (missing == null) {
            missing = TenantNetworks.unavailableReason();
        }
        if (missing != null) {
            return missing;
        }
        if (!VmDriverTest.qemuInstalled() && !KvmHost.usable()) {
            return "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)";
        }
        for (String program : List.of("ssh", "ssh-keygen", "dnsmasq", "busybox")) {
            if (!Command.run("sh", "-c", "command -v " + program).ok()) {
                return program + " is not installed (scripts/host-deps.sh installs the host packages)";
            }
        }
        for (String file : List.of("kernel", "initrd", "disk.raw")) {
            if (!Files.isRegularFile(IMAGE_SOURCE.resolve(file))) {
                return "the debian-vm image is not built (no " + IMAGE_SOURCE.resolve(file)
                        + "; bash scripts/build-image.sh debian-vm builds it, scripts/test.sh does so first)";
            }
        }
        return null;
    }

    private static InstanceSpec jail(String name, UUID tenant, int network, int address, String domain) {
        InstanceSpec spec = new InstanceSpec(UUID.randomUUID(), tenant, name, "jail", "busybox", 1, 64, 1,
                new NetworkAttachment(network, "10.236." + network + "." + address, 24, "10.236." + network + ".1",
                        domain, true));
        jailSpecs.add(spec);
        assertEquals(State.RUNNING, jails.start(spec).state());
        return spec;
    }

    private static String publicKey(String key) {
        try {
            return Files.readString(keys.resolve(key + ".pub")).strip();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** {@code ssh -i <key> root@<address> <command>}, from {@code namespace} (null: the host). */
    static Command.Result ssh(String namespace, String key, String address, String command) {
        List<String> line = new ArrayList<>();
        if (namespace != null) {
            line.addAll(List.of("ip", "netns", "exec", namespace));
        }
        line.addAll(List.of("ssh", "-F", "/dev/null", "-i", keys.resolve(key).toString(), "-o", "IdentitiesOnly=yes",
                "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR", "root@" + address, command));
        return Command.run(line, null);
    }

    /** A command in the VM as root, through SSH with the instance's key; its output, or what went wrong. */
    static String inVm(String command) {
        Command.Result result = ssh(null, "given", vm.network().address(), command);
        return result.ok() ? result.stdout() : "exit " + result.exitCode() + ": " + result.stdout() + result.stderr();
    }

    private static String inJail(InstanceSpec jail, String command) {
        Command.Result result = jails.exec(jail.id(), "sh", "-c", command);
        return result.ok() ? result.stdout() : "exit " + result.exitCode() + ": " + result.stdout() + result.stderr();
    }

    /** Starts the VM and waits until root logs in by SSH; returns how long that took. */
    static Duration startAndAwaitSsh() throws InterruptedException {
        long began = System.nanoTime();
        InstanceStatus running = vms.start(vm);
        assertEquals(State.RUNNING, running.state(), running.detail());
        long deadline = began + BOOT_TIMEOUT.toNanos();
        Command.Result last = null;
        while (System.nanoTime() < deadline) {
            last = ssh(null, "given", vm.network().address(), "true");
            if (last.ok()) {
                return Duration.ofNanos(System.nanoTime() - began);
            }
            assertEquals(State.RUNNING, vms.status(vm.id()).state(), "the VM went down while booting");
            Thread.sleep(2000);
        }
        throw new AssertionError("no SSH login within " + BOOT_TIMEOUT + ": " + last + "\nconsole: "
                + consoleTail());
    }

    static String consoleTail() {
        try {
            String log = Files.readString(vms.vmDirectory(vm.id()).resolve("console.log"));
            return log.substring(Math.max(0, log.length() - 3000));
        } catch (IOException e) {
            return "(no console log)";
        }
    }

    @Test
    @Order(1)
    void itBootsOntoTheNetworkByDhcpAndLetsInTheGivenKeyOnly() throws InterruptedException {
        Duration boot = startAndAwaitSsh();
        System.out.printf("DebianVmTest: %s VM from start to SSH-able in %d ms (%s)%n", VmImageBuilder.DEBIAN_VM,
                boot.toMillis(), vms.status(vm.id()).detail());

        assertEquals("web1\n", inVm("hostname"), "the instance's name, from the metadata service");
        assertThat(inVm("cloud-init status --wait")).contains("status: done");
        assertThat(inVm("cat /run/cloud-init/result.json")).as("the NoCloud datasource, by the network")
                .contains("DataSourceNoCloudNet").contains("169.254.169.254");
        assertThat(inVm("cat /etc/network/interfaces.d/50-cloud-init")).as("cloud-init's fallback: DHCP")
                .contains("inet dhcp");
        assertThat(inVm("cat /var/lib/dhcp/dhclient.*.leases")).as("the address came from the network's DHCP server")
                .contains("fixed-address 10.236.61.10;").contains("option routers 10.236.61.1;");
        assertThat(inVm("ip -4 -o addr show scope global")).contains("10.236.61.10/24");
        assertThat(inVm("cat /etc/resolv.conf")).contains("nameserver 10.236.61.1");

        Command.Result other = ssh(null, "other", vm.network().address(), "hostname");
        assertFalse(other.ok(), "a key the instance was not given logs in: " + other.stdout());
        assertThat(other.stderr()).contains("Permission denied");
    }

    @Test
    @Order(2)
    void itResolvesNamesAndItsNameAnswersInsideItsTenantOnly() {
        assertThat(inVm("nslookup web1.acme.internal")).as("the resolver DHCP gave").contains("10.236.61.10");
        assertThat(inVm("nslookup peer.acme.internal")).contains("10.236.61.11");
        assertThat(inVm("nslookup www.upstream.test")).as("outside names, forwarded upstream").contains(UPSTREAM_ADDRESS);
        assertThat(inJail(globex, "nslookup web1.acme.internal 10.236.62.1")).as("not inside globex")
                .doesNotContain("10.236.61.10");
        assertThat(inJail(globex, "nslookup web1.globex.internal 10.236.62.1")).contains("10.236.62.10");
    }

    @Test
    @Order(3)
    void itFetchesAnOutsidePageByNameUnlessAnAdminSwitchesEgressOff() {
        assertThat(inVm("wget -qO- -T 10 -t 1 http://www.upstream.test/")).contains(page);
        String bridge = jails.network().tenantBridge(61);
        jails.network().tenants().egress(bridge, false);
        try {
            assertThat(inVm("wget -qO- -T 5 -t 1 http://www.upstream.test/")).doesNotContain(page).startsWith("exit ");
        } finally {
            jails.network().tenants().egress(bridge, true);
        }
        assertThat(inVm("wget -qO- -T 10 -t 1 http://www.upstream.test/")).contains(page);
    }

    @Test
    @Order(4)
    void aPublicAddressReachesItsSshFromTheInternetUntilItIsDetached() {
        Command.Result before = ssh(internet.client, "given", FLOATING, "hostname");
        assertFalse(before.ok(), "nothing is published yet");
        jails.network().tenants().publish(new PublicAccess(List.of(FLOATING), List.of(
                new Exposure(vm.id(), 61, vm.network().address(), FLOATING, List.of(), null))));
        Command.Result in = ssh(internet.client, "given", FLOATING, "hostname");
        assertTrue(in.ok(), "ssh from the client to the public address: " + in);
        assertEquals("web1\n", in.stdout());
        assertFalse(ssh(internet.client, "other", FLOATING, "hostname").ok(), "another key is refused there too");

        jails.network().tenants().publish(PublicAccess.none());
        Command.Result after = ssh(internet.client, "given", FLOATING, "hostname");
        assertFalse(after.ok(), "detached: " + after.stdout());
        assertThat(after.stderr()).as("no SSH server answers at all").doesNotContain("Permission denied");
    }

    @Test
    @Order(5)
    void theMetadataServiceAnswersTheVmAboutItselfEvenWhenItForgesAnotherAddress() {
        assertEquals(vm.id().toString(), inVm("wget -qO- -T 5 -t 1 http://169.254.169.254/latest/meta-data/instance-id"));
        assertThat(inVm("wget -qO- -T 5 -t 1 http://169.254.169.254/nocloud/meta-data"))
                .contains("instance-id: " + vm.id()).contains("local-hostname: web1").contains(publicKey("given"));
        assertEquals(peer.id().toString(), inJail(peer, "timeout 5 wget -q -O - http://169.254.169.254/latest/meta-data/instance-id"),
                "the peer it will pretend to be gets its own answer");

        String forged = peer.network().address();
        String device = inVm("ip -o -4 addr show scope global | awk '{print $2; exit}'").strip();
        assertThat(device).isNotBlank().doesNotStartWith("exit");
        try {
            inVm("ip addr add " + forged + "/32 dev " + device);
            String answer = inVm("wget -qO- -T 5 -t 1 --bind-address=" + forged
                    + " http://169.254.169.254/latest/meta-data/instance-id");
            assertThat(answer).as("asked from the peer's address").doesNotContain(peer.id().toString())
                    .doesNotContain(vm.id().toString()).startsWith("exit ");
            assertThat(inVm("wget -qO- -T 5 -t 1 --bind-address=" + forged
                    + " http://169.254.169.254/latest/user-data")).doesNotContain("runcmd").startsWith("exit ");
        } finally {
            inVm("ip addr del " + forged + "/32 dev " + device);
        }
        assertEquals(vm.id().toString(), inVm("wget -qO- -T 5 -t 1 http://169.254.169.254/latest/meta-data/instance-id"));
    }

    @Test
    @Order(6)
    void userDataRunsAtFirstBootOnlyAndItsOwnPowerOffIsNoCrash() throws InterruptedException {
        assertEquals("runcmd ran in web1\n", inVm("cat /root/runcmd-ran"), "the user-data's runcmd at first boot");

        String firstBoot = inVm("cat /proc/sys/kernel/random/boot_id");
        long pid = vms.status(vm.id()).pid();
        inVm("systemctl poweroff");
        VmDriverTest.await(() -> !Processes.alive(pid), Duration.ofMinutes(2), "powered off");
        Thread.sleep(2500);
        InstanceStatus off = vms.status(vm.id());
        assertEquals(State.STOPPED, off.state(), "its own power-off is no crash: " + off.detail());
        assertEquals(0, vms.restartsOf(vm.id()), "the on-crash policy did not start it again");

        Duration again = startAndAwaitSsh();
        System.out.printf("DebianVmTest: second boot to SSH-able in %d ms%n", again.toMillis());
        assertEquals("web1\n", inVm("hostname"));
        assertThat(inVm("cloud-init status --wait")).contains("status: done");
        assertEquals("runcmd ran in web1\n", inVm("cat /root/runcmd-ran"), "not again at the second boot");
        assertThat(inVm("cat /proc/sys/kernel/random/boot_id")).as("another boot").isNotEqualTo(firstBoot);
    }
}

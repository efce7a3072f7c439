package io.multiplicity.agent.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.multiplicity.agent.jail.JailDriver;
import io.multiplicity.agent.jail.JailHost;
import io.multiplicity.agent.network.TenantNetworks.Uplink;
import io.multiplicity.agent.support.Command;
import io.multiplicity.host.contract.InstanceMetadata;
import io.multiplicity.host.contract.InstanceSpec;
import io.multiplicity.host.contract.InstanceSpec.NetworkAttachment;
import io.multiplicity.host.contract.InstanceStatus.State;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The metadata service at 169.254.169.254 on real jails: each instance learns about itself only
 * (its id, name, address, SSH keys, user-data), the busybox image puts the keys in root's
 * {@code authorized_keys} and runs a user-data script once, and nothing but the tenant networks
 * reaches the service.
 */
class MetadataServiceTest {

    static final String KEY_1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGnUZMRtZTvWzhYvZXX1dPh8tXOv8gvWCWzM8Sx1f1lG alice@laptop";
    static final String KEY_2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMjG7VuS1pHq8jvJZqZ1l0vX4GTbV6TtMOd8m1ZjWQ0b alice@desk";

    static JailHost host;
    static JailDriver driver;
    static final List<InstanceSpec> jails = new ArrayList<>();
    static InstanceSpec described;
    static InstanceSpec plain;
    static InstanceSpec stranger;

    @BeforeAll
    static void startJails() {
        String missing = JailHost.unavailableReason();
        if (missing == null) {
            missing = TenantNetworks.unavailableReason();
        }
        if (missing != null) {
            System.err.println("SKIPPED MetadataServiceTest: " + missing);
        }
        Assumptions.assumeTrue(missing == null, missing);
        host = new JailHost("metadata", 128).withUplink(Uplink.none());
        driver = host.start();
        described = jail("web1", 41, 10, new InstanceMetadata(List.of(KEY_1, KEY_2),
                "#!/bin/sh\necho \"user-data ran as $(id -u) in $(hostname)\" > /tmp/user-data-ran\n"));
        plain = jail("db1", 41, 11, InstanceMetadata.none());
        stranger = jail("web1", 42, 10, new InstanceMetadata(List.of(KEY_2), null));
    }

    @AfterAll
    static void tearDown() {
        if (driver != null) {
            for (InstanceSpec jail : jails) {
                driver.destroy(jail.id());
            }
        }
        if (host != null) {
            host.close();
        }
    }

    private static InstanceSpec jail(String name, int network, int address, InstanceMetadata metadata) {
        InstanceSpec spec = new InstanceSpec(UUID.randomUUID(), UUID.randomUUID(), name, "jail", "busybox", 1, 64, 1,
                new NetworkAttachment(network, "10.234." + network + "." + address, 24, "10.234." + network + ".1",
                        null, false), metadata);
        jails.add(spec);
        assertEquals(State.RUNNING, driver.start(spec).state());
        return spec;
    }

    private static String fetch(InstanceSpec jail, String path) {
        Command.Result result = driver.exec(jail.id(), "sh", "-c",
                "timeout 5 wget -q -O - http://169.254.169.254" + path);
        return result.ok() ? result.stdout() : "failed: " + result.exitCode();
    }

    @Test
    void eachInstanceLearnsAboutItselfOnly() {
        assertEquals(described.id().toString(), fetch(described, "/latest/meta-data/instance-id"));
        assertEquals(plain.id().toString(), fetch(plain, "/latest/meta-data/instance-id"));
        assertEquals(stranger.id().toString(), fetch(stranger, "/latest/meta-data/instance-id"));
        assertEquals("db1", fetch(plain, "/latest/meta-data/local-hostname"));
        assertEquals("10.234.42.10", fetch(stranger, "/latest/meta-data/local-ipv4"));
        assertEquals(KEY_1 + "\n", fetch(described, "/latest/meta-data/public-keys/0/openssh-key"));
        assertEquals("0=key-0\n1=key-1\n", fetch(described, "/latest/meta-data/public-keys/"));
        assertThat(fetch(plain, "/latest/meta-data/public-keys/")).as("no keys").startsWith("failed");
        assertThat(fetch(plain, "/latest/user-data")).as("no user-data").startsWith("failed");
        assertThat(fetch(stranger, "/nocloud/meta-data")).contains("instance-id: " + stranger.id())
                .contains("local-hostname: web1").contains(KEY_2).doesNotContain(KEY_1);
    }

    @Test
    void theImagePutsTheKeysInPlaceAndRunsTheUserDataOnce() throws InterruptedException {
        String keys = driver.exec(described.id(), "cat", "/root/.ssh/authorized_keys").stdout();
        assertEquals(KEY_1 + "\n" + KEY_2 + "\n", keys);
        assertEquals("600", driver.exec(described.id(), "stat", "-c", "%a", "/root/.ssh/authorized_keys").stdout().strip());
        String ran = "";
        for (int i = 0; i < 50 && !ran.contains("user-data ran"); i++) {
            Thread.sleep(100);
            ran = driver.exec(described.id(), "cat", "/tmp/user-data-ran").stdout();
        }
        assertEquals("user-data ran as 0 in web1\n", ran);
        assertThat(driver.exec(plain.id(), "sh", "-c", "ls /root/.ssh/authorized_keys /tmp/user-data-ran 2>&1").stdout())
                .as("nothing for an instance with neither").contains("No such file");
    }

    @Test
    void nothingButTheTenantNetworksReachesTheService() {
        int port = driver.network().tenants().metadataPort();
        assertThat(port).isPositive();
        // The host itself (and so any other interface of it) does not get an answer.
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("10.234.41.1", port), 1500);
            Assertions.fail("the metadata port answered the host");
        } catch (IOException expected) {
            // dropped
        }
        // Instances reach it only at 169.254.169.254 through their gateway, never by the gateway's port from elsewhere.
        assertThat(fetch(stranger, "/latest/meta-data/instance-id")).isEqualTo(stranger.id().toString());
    }

    @Test
    void answersAreThoseOfTheMetadataLayouts() {
        MetadataService.Description description = new MetadataService.Description("web1", "10.0.0.5",
                new InstanceMetadata(List.of(KEY_1), "#cloud-config\n"));
        UUID id = UUID.randomUUID();
        assertEquals("hostname\ninstance-id\nlocal-hostname\nlocal-ipv4\npublic-keys/\n",
                MetadataService.answer("/latest/meta-data/", id, description));
        assertEquals("#cloud-config\n", MetadataService.answer("/latest/user-data", id, description));
        assertEquals("#cloud-config\n", MetadataService.answer("/nocloud/user-data", id, description));
        assertEquals("openssh-key\n", MetadataService.answer("/latest/meta-data/public-keys/0", id, description));
        assertNull(MetadataService.answer("/latest/meta-data/public-keys/1/openssh-key", id, description));
        assertNull(MetadataService.answer("/etc/passwd", id, description));
        assertThat(MetadataService.answer("/multiplicity/v1/instance", id, description))
                .contains("\"id\":\"" + id + "\"").contains("\"userData\":true");
    }

    private static final class Assertions {
        static void fail(String message) {
            throw new AssertionError(message);
        }
    }
}

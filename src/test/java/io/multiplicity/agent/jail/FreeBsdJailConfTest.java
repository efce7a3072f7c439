package io.multiplicity.agent.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiplicity.host.contract.InstanceSpec;
import io.multiplicity.host.contract.InstanceSpec.NetworkAttachment;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class FreeBsdJailConfTest {

    private static final UUID ID = UUID.fromString("6f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b");
    private static final UUID TENANT = UUID.fromString("00000000-0000-0000-0000-0000000000aa");

    private static InstanceSpec spec(NetworkAttachment network) {
        return new InstanceSpec(ID, TENANT, "web-1", "jail", "busybox", 2, 512, 10, network);
    }

    @Test
    void rendersPathHostnameAndRestrictions() {
        String conf = FreeBsdJailConf.render(spec(null), "/tank/multiplicity/instances/" + ID, 7, 256);
        List<String> lines = conf.lines().map(String::strip).toList();
        assertTrue(lines.contains("mp_6f1c2a345b6d4e7f8a9b0c1d2e3f4a5b {"), conf);
        assertTrue(lines.contains("path = \"/tank/multiplicity/instances/" + ID + "\";"), conf);
        assertTrue(lines.contains("host.hostname = \"web-1\";"), conf);
        assertTrue(lines.contains("enforce_statfs = 2;"), conf);
        assertTrue(lines.contains("children.max = 0;"), conf);
        assertTrue(lines.contains("allow.raw_sockets;"), conf);
        assertTrue(lines.contains("allow.mount = 0;"), conf);
        assertTrue(lines.contains("ip4 = \"disable\";"), conf);
        assertFalse(conf.contains("vnet"), conf);
        assertTrue(conf.strip().endsWith("}"), conf);
    }

    @Test
    void rendersRctlLimitsAddedOnCreateAndRemovedOnStop() {
        String conf = FreeBsdJailConf.render(spec(null), "/j", 7, 256);
        String name = FreeBsdJailConf.jailName(ID);
        assertTrue(conf.contains("exec.created = \"/usr/bin/rctl -a jail:" + name + ":memoryuse:deny=512M\";"), conf);
        assertTrue(conf.contains("exec.created += \"/usr/bin/rctl -a jail:" + name + ":pcpu:deny=200\";"), conf);
        assertTrue(conf.contains("exec.created += \"/usr/bin/rctl -a jail:" + name + ":maxproc:deny=256\";"), conf);
        assertTrue(conf.contains("exec.poststop = \"/usr/bin/rctl -r jail:" + name + "\";"), conf);
    }

    @Test
    void rendersAVnetJailOnItsTenantBridge() {
        String conf = FreeBsdJailConf.render(spec(new NetworkAttachment(101, "10.231.101.11", 24, "10.231.101.1")),
                "/j", 7, 256);
        List<String> lines = conf.lines().map(String::strip).toList();
        assertTrue(lines.contains("vnet;"), conf);
        assertTrue(lines.contains("vnet.interface = \"epair7b\";"), conf);
        assertTrue(lines.contains("exec.prestart += \"/sbin/ifconfig epair7 create up\";"), conf);
        assertTrue(lines.contains("exec.prestart += \"/sbin/ifconfig bridge101 addm epair7a up\";"), conf);
        assertTrue(lines.contains("exec.start += \"/sbin/ifconfig epair7b inet 10.231.101.11/24 up\";"), conf);
        assertTrue(lines.contains("exec.start += \"/sbin/route add default 10.231.101.1\";"), conf);
        assertTrue(lines.contains("exec.poststop += \"/sbin/ifconfig epair7a destroy\";"), conf);
        int network = conf.indexOf("epair7b inet");
        int rc = conf.indexOf("/bin/sh /etc/rc\"");
        assertTrue(network < rc, "the network is up before rc runs");
    }

    @Test
    void quotesValues() {
        assertEquals("\"a\\\"b\\\\c\\$d\"", FreeBsdJailConf.quote("a\"b\\c$d"));
    }
}

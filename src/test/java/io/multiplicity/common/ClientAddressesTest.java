package io.multiplicity.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** Client addresses in the audit log read as people write them. */
class ClientAddressesTest {

    @Test
    void addressesReadAsPeopleWriteThem() {
        assertEquals("::1", ClientAddresses.normalize("0:0:0:0:0:0:0:1"));
        assertEquals("192.0.2.7", ClientAddresses.normalize("::ffff:192.0.2.7"), "an IPv4 client of a dual-stack socket");
        assertEquals("192.0.2.7", ClientAddresses.normalize("0:0:0:0:0:ffff:c000:207"));
        assertEquals("192.0.2.7", ClientAddresses.normalize("192.0.2.7:51234"), "the port is dropped");
        assertEquals("::1", ClientAddresses.normalize("[::1]:8080"));
        assertEquals("2001:db8::1", ClientAddresses.normalize("2001:0db8:0:0:0:0:0:1"));
        assertEquals("2001:db8:0:1:1:1:1:1", ClientAddresses.normalize("2001:db8:0:1:1:1:1:1"), "one zero group stays");
        assertEquals("2001:db8::1:0:0:1", ClientAddresses.normalize("2001:db8:0:0:1:0:0:1"), "the first of equal runs");
        assertEquals("proxy.example", ClientAddresses.normalize("proxy.example"), "a name is never looked up");
        assertNull(ClientAddresses.normalize(null));
    }
}

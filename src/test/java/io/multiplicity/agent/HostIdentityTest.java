package io.multiplicity.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.multiplicity.agent.jail.JailDriver;
import io.multiplicity.agent.jail.JailHost;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host keeps the identity it was enrolled with, in its data directory and in its pool; its name plays no part. */
class HostIdentityTest {

    @Test
    void aHostKeepsTheIdentityItWasEnrolledWith(@TempDir Path data) {
        HostIdentity identity = new HostIdentity(data, null);
        assertEquals(Optional.empty(), identity.read(), "not enrolled yet");
        UUID id = UUID.randomUUID();
        identity.enroll(id);
        assertEquals(Optional.of(id), identity.read());
        assertEquals(Optional.of(id), new HostIdentity(data, null).read(), "an agent started again reads it back");
        identity.enroll(id);
        assertThrows(IllegalStateException.class, () -> identity.enroll(UUID.randomUUID()),
                "a host enrolled once is not enrolled as another");
    }

    @Test
    void aFileThatHoldsNoIdentityIsRefusedNotReplaced(@TempDir Path data) throws IOException {
        Files.writeString(data.resolve("host-id"), "web-01\n");
        assertThrows(IllegalStateException.class, () -> new HostIdentity(data, null).read());
        assertEquals("web-01\n", Files.readString(data.resolve("host-id")));
    }

    @Test
    void thePoolKeepsTheIdentityToo() throws IOException {
        String missing = JailHost.unavailableReason();
        if (missing != null) {
            System.err.println("SKIPPED HostIdentityTest.thePoolKeepsTheIdentityToo: " + missing);
        }
        Assumptions.assumeTrue(missing == null, missing);
        try (JailHost host = new JailHost("identity", 64)) {
            JailDriver jails = host.start();
            Path data = host.config().dataDirectory();
            UUID id = UUID.randomUUID();
            new HostIdentity(data, jails.storage()).enroll(id);
            assertEquals(Optional.of(id.toString()), jails.storage().hostId());

            Files.delete(data.resolve("host-id"));
            assertEquals(Optional.of(id), new HostIdentity(data, jails.storage()).read(), "the pool's is read");
            assertThat(Files.readString(data.resolve("host-id")).strip()).as("and the file written again")
                    .isEqualTo(id.toString());

            Files.writeString(data.resolve("host-id"), UUID.randomUUID() + "\n");
            assertEquals(Optional.of(id), new HostIdentity(data, jails.storage()).read(), "the pool's holds");
        }
    }
}

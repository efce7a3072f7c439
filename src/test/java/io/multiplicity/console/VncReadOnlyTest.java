package io.multiplicity.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiplicity.support.Api;
import io.multiplicity.support.ConsoleClient;
import io.multiplicity.support.RecordingHostDriver;
import io.multiplicity.support.RecordingHostProfile;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.io.ByteArrayOutputStream;
import java.net.URL;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Through the console gateway, a read-only viewer (a tenant viewer) of a VM's graphical console
 * gets the screen, but its keys, pointer and clipboard never reach the VM's RFB server; a writer's
 * do. The VM's RFB server is the in-memory host's, which records every byte it is sent.
 */
@QuarkusTest
@TestProfile(RecordingHostProfile.class)
class VncReadOnlyTest {

    @Inject
    EntityManager em;

    @TestHTTPResource("/")
    URL base;

    @Test
    void aViewersKeysAndClicksNeverReachTheVm() throws Exception {
        UUID vm = runningVm();
        byte[] input = RfbInputTest.session(RfbInputTest.key(0x61), RfbInputTest.pointer(5, 5),
                RfbInputTest.clipboard("secret"));
        byte[] view = RfbInputTest.session(new byte[0], new byte[0], new byte[0]);

        try (ConsoleClient vera = ConsoleClient.connect(base.toString(), ticket("vera", vm))) {
            vera.send(input);
            assertThat(received(vm, view.length)).as("the viewer's screen set-up reaches the VM, its input does not")
                    .isEqualTo(view);
        }
        RecordingHostDriver.GRAPHICS_INPUT.remove(vm);
        try (ConsoleClient bob = ConsoleClient.connect(base.toString(), ticket("bob", vm))) {
            bob.send(input);
            assertArrayEquals(input, received(vm, input.length), "a writer's input does");
        }
    }

    /** What the VM's RFB server has received once it has at least {@code length} bytes (or after 5 s). */
    private static byte[] received(UUID vm, int length) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(5));
        while (Instant.now().isBefore(deadline)) {
            ByteArrayOutputStream got = RecordingHostDriver.GRAPHICS_INPUT.get(vm);
            if (got != null) {
                synchronized (got) {
                    if (got.size() >= length) {
                        Thread.sleep(200);  // anything more that would follow
                        return got.toByteArray();
                    }
                }
            }
            Thread.sleep(20);
        }
        ByteArrayOutputStream got = RecordingHostDriver.GRAPHICS_INPUT.get(vm);
        return got == null ? new byte[0] : got.toByteArray();
    }

    private static String ticket(String user, UUID vm) {
        Response issued = Api.as(user).body(Map.of("type", "vnc")).post("/api/v1/instances/" + vm + "/console");
        assertEquals(201, issued.statusCode(), issued.asString());
        return issued.path("url");
    }

    private UUID runningVm() {
        return io.multiplicity.support.Instances.runningVmOnRecordingHost(em, "vnc");
    }
}

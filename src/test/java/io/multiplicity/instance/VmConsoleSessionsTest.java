package io.multiplicity.instance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiplicity.agent.Agent;
import io.multiplicity.agent.support.Processes;
import io.multiplicity.host.contract.HostDriver;
import io.multiplicity.host.contract.InstanceStatus;
import io.multiplicity.support.Api;
import io.multiplicity.support.ConsoleClient;
import io.quarkus.arc.Arc;
import io.quarkus.arc.ClientProxy;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The consoles of a real VM (tiny-linux under QEMU, TCG here) through the browser's gateway, as a
 * user would check them: Ctrl-C on the serial console stops the foreground program and nothing
 * else; two graphical sessions share the screen with one writer, whose keys alone reach the guest,
 * and a takeover that both are told of, after which the former writer's keys are dropped and
 * counted. What reaches the guest's keyboard is read inside the guest: a reader of its first
 * virtual terminal ({@code /dev/tty1}, where QEMU's PS/2 keyboard types) writes each line to a
 * file, which the serial console prints.
 */
@QuarkusTest
@TestProfile(VmApiTest.LocalVmProfile.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class VmConsoleSessionsTest {

    private static final int RETURN = 0xff0d;

    @io.quarkus.test.common.http.TestHTTPResource("/")
    java.net.URL base;

    static String vm;
    static ConsoleClient serial;

    @BeforeAll
    static void requireVms() {
        String missing = VmApiTest.unavailableReason();
        if (missing != null) {
            System.err.println("SKIPPED VmConsoleSessionsTest: real VMs cannot run on this machine: " + missing);
        }
        Assumptions.assumeTrue(missing == null, "real VMs cannot run on this machine: " + missing);
    }

    @AfterAll
    static void removeHost() throws IOException {
        if (serial != null) {
            serial.close();
        }
        HostDriver driver = ClientProxy.unwrap(Arc.container().instance(HostDriver.class).get());
        if (driver instanceof Agent agent) {
            for (InstanceStatus status : agent.list()) {
                agent.destroy(status.id());
            }
            agent.close();
            agent.jails().network().removeAll();
            agent.jails().storage().destroyPool();
        }
    }

    @Test
    @Order(1)
    void ctrlCOnTheSerialConsoleStopsTheForegroundProgramOnly() throws Exception {
        Agent agent = VmApiTest.agent();
        vm = VmApiTest.createVm("bob", "keys", "tiny-linux");
        UUID id = UUID.fromString(vm);
        long monitor = agent.status(id).pid();
        serial = ConsoleClient.connect(base.toString(), ticket("bob", "serial"));
        assertTrue(serial.awaitOutput(":/# ", Duration.ofSeconds(150)),
                "tiny-linux booted to a shell on its serial console; it showed: " + tail(serial.output()));

        int before = serial.output().length();
        serial.type("sleep 30\n");
        Thread.sleep(1000);
        serial.type("\u0003");
        long typed = System.nanoTime();
        serial.type("echo ok\n");
        boolean answered = awaitAfter(serial, before, "\nok\r", Duration.ofSeconds(2));
        long tookMs = (System.nanoTime() - typed) / 1_000_000;
        System.out.printf("[serial] sleep 30, Ctrl-C, echo ok: %s after %d ms; the console showed: %s%n",
                answered ? "ok" : "no ok", tookMs, printable(serial.output().substring(before)));
        assertTrue(answered, "Ctrl-C stopped sleep and the shell ran echo ok within 2 s; it showed: "
                + printable(serial.output().substring(before)));

        Thread.sleep(15_000);
        assertEquals("running", Api.as("bob").get("/api/v1/instances/" + vm).path("state"));
        assertEquals(monitor, agent.status(id).pid(), "the same monitor 15 s later, not a restarted VM");
        assertTrue(Processes.alive(monitor));
        int after = serial.output().length();
        serial.type("echo still-$((40 + 2))\n");
        assertTrue(awaitAfter(serial, after, "still-42", Duration.ofSeconds(10)), "the same shell still answers");
    }

    @Test
    @Order(2)
    void twoGraphicalSessionsShareTheScreenWithOneWriterAndATakeover() throws Exception {
        assertThat(vm).as("the VM of the first test").isNotNull();
        int start = serial.output().length();
        // Every line typed on the guest's first virtual terminal lands in /tmp/keys.
        serial.type("cat /dev/tty1 > /tmp/keys &\n");
        Thread.sleep(500);

        String aliceUrl = ticket("alice", "vnc");
        try (ConsoleClient alice = ConsoleClient.connect(base.toString(), aliceUrl)) {
            alice.send(handshake());
            // As the portal does: the control socket once the RFB session answers.
            assertTrue(alice.awaitOutput("RFB 003.008", Duration.ofSeconds(10)), "QEMU's VNC server answers");
            ConsoleClient aliceControl = control(aliceUrl);
            assertTrue(aliceControl.awaitControl(frame -> frame.contains("\"you\":\"writer\"")
                    && frame.contains("\"viewers\":1"), Duration.ofSeconds(10)),
                    "the first viewer types: " + aliceControl.controls());

            String bobUrl = ticket("bob", "vnc");
            try (ConsoleClient bob = ConsoleClient.connect(base.toString(), bobUrl)) {
                bob.send(handshake());
                assertTrue(bob.awaitOutput("RFB 003.008", Duration.ofSeconds(10)), "QEMU's VNC server answers");
                ConsoleClient bobControl = control(bobUrl);
                assertTrue(bobControl.awaitControl(frame -> frame.contains("\"writer\":\"alice\"")
                        && frame.contains("\"you\":\"reader\"") && frame.contains("\"viewers\":2"),
                        Duration.ofSeconds(10)), "the second viewer watches alice type: " + bobControl.controls());
                assertTrue(aliceControl.awaitControl(frame -> frame.contains("\"you\":\"writer\"")
                        && frame.contains("\"viewers\":2"), Duration.ofSeconds(10)),
                        "the writer hears of the second viewer: " + aliceControl.controls());
                Thread.sleep(1000);   // both RFB sessions past their handshake in QEMU

                alice.send(keys("alpha"));
                bob.send(keys("bravo"));
                assertTrue(awaitKeys(start, "alpha"), "the writer's line reached the guest: " + keysSeen(start));

                bobControl.control("{\"type\":\"takeover\"}");
                assertTrue(bobControl.awaitControl(frame -> frame.contains("\"writer\":\"bob\"")
                        && frame.contains("\"you\":\"writer\""), Duration.ofSeconds(10)),
                        "bob types after taking over: " + bobControl.controls());
                assertTrue(aliceControl.awaitControl(frame -> frame.equals("{\"type\":\"taken-over\",\"by\":\"bob\"}"),
                        Duration.ofSeconds(10)), "alice is told bob took over: " + aliceControl.controls());
                assertTrue(aliceControl.awaitControl(frame -> frame.contains("\"writer\":\"bob\"")
                        && frame.contains("\"you\":\"reader\""), Duration.ofSeconds(10)),
                        "alice now watches: " + aliceControl.controls());

                alice.send(keys("delta"));
                bob.send(keys("charlie"));
                assertTrue(awaitKeys(start, "charlie"), "the new writer's line reached the guest: " + keysSeen(start));
                Thread.sleep(1000);
                String reached = keysSeen(start);
                System.out.println("[vnc] lines the guest's keyboard got: " + printable(reached));
                assertThat(reached).as("only the writer's keys reached the guest")
                        .contains("alpha", "charlie").doesNotContain("bravo", "delta");
                bobControl.close();
            }
            aliceControl.close();
        }

        // Each key is two KeyEvents (down, up): five letters and Return, twelve dropped messages.
        assertThat(closeReason("bob")).as("bob's dropped keys while alice typed are counted in the audit")
                .contains("12 input messages dropped while another viewer typed");
        assertThat(closeReason("alice")).as("alice's keys after the takeover are dropped and counted")
                .contains("12 input messages dropped while another viewer typed");
    }

    /** The control socket of a graphical session, open (a refusal fails the test with its close code). */
    private ConsoleClient control(String url) throws Exception {
        ConsoleClient control = ConsoleClient.connect(base.toString(), url + "/control");
        int closed = control.closeCode(Duration.ofMillis(300));
        assertEquals(0, closed, "the control socket stays open; it closed: " + control.closeReason());
        return control;
    }

        /** The console-session audit's close reason of the user's graphical session of the VM. */
    private static String closeReason(String user) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            List<Map<String, Object>> items = Api.as("alice").get("/api/v1/console-sessions?instance=" + vm)
                    .path("items");
            for (Map<String, Object> item : items) {
                if (user.equals(item.get("user")) && "vnc".equals(item.get("type")) && item.get("closeReason") != null) {
                    return (String) item.get("closeReason");
                }
            }
            assertThat(System.nanoTime()).as("the session of " + user + " ended in the audit: " + items)
                    .isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    private static boolean awaitKeys(int from, String line) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            if (keysSeen(from).contains(line)) {
                return true;
            }
            Thread.sleep(500);
        }
        return false;
    }

    /** What the guest's reader of /dev/tty1 wrote, printed on the serial console. */
    private static String keysSeen(int from) throws Exception {
        String marker = "keys-" + UUID.randomUUID().toString().substring(0, 8);
        int at = serial.output().length();
        serial.type("echo " + marker.substring(0, 4) + "''" + marker.substring(4) + "-begin; cat /tmp/keys; echo "
                + marker.substring(0, 4) + "''" + marker.substring(4) + "-end\n");
        assertTrue(awaitAfter(serial, at, marker + "-end", Duration.ofSeconds(10)),
                "the serial console answers: " + tail(serial.output()));
        String seen = serial.output().substring(at);
        int begin = seen.indexOf(marker + "-begin");
        return seen.substring(begin + marker.length() + 6, seen.indexOf(marker + "-end"));
    }

    /** A client's side of the RFB 3.8 handshake: version, security type None, ClientInit (shared). */
    private static byte[] handshake() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("RFB 003.008\n".getBytes(StandardCharsets.US_ASCII));
        out.write(1);
        out.write(1);
        return out.toByteArray();
    }

    /** KeyEvents (RFC 6143 §7.5.4) typing {@code word} and Return: each key down, then up. */
    private static byte[] keys(String word) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int keysym : (word.chars().boxed().toList())) {
            out.writeBytes(keyEvent(keysym, true));
            out.writeBytes(keyEvent(keysym, false));
        }
        out.writeBytes(keyEvent(RETURN, true));
        out.writeBytes(keyEvent(RETURN, false));
        return out.toByteArray();
    }

    private static byte[] keyEvent(int keysym, boolean down) {
        return ByteBuffer.allocate(8).put((byte) 4).put((byte) (down ? 1 : 0)).putShort((short) 0).putInt(keysym)
                .array();
    }

    private static String ticket(String user, String type) {
        Response issued = Api.as(user).body(Map.of("type", type)).post("/api/v1/instances/" + vm + "/console");
        assertEquals(201, issued.statusCode(), issued.asString());
        return issued.path("url");
    }

    private static boolean awaitAfter(ConsoleClient client, int from, String text, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (client.output().indexOf(text, from) >= 0) {
                return true;
            }
            Thread.sleep(10);
        }
        return client.output().indexOf(text, from) >= 0;
    }

    private static String tail(String text) {
        return printable(text.substring(Math.max(0, text.length() - 1500)));
    }

    private static String printable(String text) {
        return text.replace("\r", "\\r").replace("\n", "\\n").replace("\u0003", "^C");
    }
}

package io.multiplicity.instance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiplicity.agent.Agent;
import io.multiplicity.agent.jail.JailHost;
import io.multiplicity.agent.support.Command;
import io.multiplicity.agent.support.Processes;
import io.multiplicity.agent.vm.KvmHost;
import io.multiplicity.agent.vm.TapDevice;
import io.multiplicity.agent.vm.VmDriver;
import io.multiplicity.host.contract.ConsoleStream;
import io.multiplicity.host.contract.HostDriver;
import io.multiplicity.host.contract.InstanceStatus;
import io.multiplicity.support.Api;
import io.quarkus.arc.Arc;
import io.quarkus.arc.ClientProxy;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * VMs end to end through the API on this machine's real hypervisors, ZFS and bridges: a Debian
 * kernel with a busybox initramfs under QEMU (TCG where KVM is missing or nested, for KVM runs no
 * stock kernel there) booting to a shell on its serial console, tenant isolation between a VM and
 * jails, a disk grown under a running guest, a stop that powers the guest off and a start that
 * boots it again with its disk, the mvm test guest (on mvm where there is KVM, else on QEMU under
 * TCG) with its serial console and VNC through the gateway, crash detection and the restart
 * policy, and a delete that leaves nothing on the host. Nothing here needs {@code /dev/kvm}.
 */
@QuarkusTest
@TestProfile(VmApiTest.LocalVmProfile.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class VmApiTest {

    /** Where the tiny-linux image's kernel and initrd are built (kept between runs). */
    static final Path IMAGE_SOURCE = Path.of("target", "vm-images", "tiny-linux");

    /** The real host agent of this machine, on a pool, bridge and address range of its own. */
    public static class LocalVmProfile implements QuarkusTestProfile {

        static final String SUFFIX = HexFormat.of().toHexDigits((short) ThreadLocalRandom.current().nextInt());

        @Override
        public Map<String, String> getConfigOverrides() {
            // Before the application starts: its host agent registers the images it finds built
            // (mvm's test guest, tiny-linux) in the catalog as it starts.
            unavailableReason();
            return Map.of(
                    "multiplicity.hosts.local-name", "vm-api-host",
                    "multiplicity.agent.data-dir", "target/vm-api-" + SUFFIX,
                    "multiplicity.agent.pool-name", "mpv" + SUFFIX,
                    "multiplicity.agent.pool-size-gib", "8",
                    "multiplicity.agent.bridge", "mpv" + SUFFIX,
                    "multiplicity.agent.vm-image-source", IMAGE_SOURCE.toString(),
                    "multiplicity.agent.vm-restart-policy", "never",
                    "multiplicity.network.pool", "10.92.0.0/16",
                    "multiplicity.hosts.reconcile-interval", "1s");
        }
    }

    @io.quarkus.test.common.http.TestHTTPResource("/")
    java.net.URL base;

    static String linux;
    static String micro;
    static String peer;
    static String stranger;
    static Transcript console;

    @BeforeAll
    static void requireVms() {
        String missing = unavailableReason();
        if (missing != null) {
            System.err.println("SKIPPED VmApiTest: real VMs cannot run on this machine: " + missing);
        }
        Assumptions.assumeTrue(missing == null, "real VMs cannot run on this machine: " + missing);
    }

    static String unavailableReason() {
        String jails = JailHost.unavailableReason();
        if (jails != null) {
            return jails;
        }
        if (!Command.run("sh", "-c", "command -v qemu-system-x86_64").ok()) {
            return "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)";
        }
        // The mvm-test image is vmm-native's idle guest: mvm boots it on KVM, QEMU without.
        Command.Result mvm = Command.run("make", "-s", "-C", "vmm-native", "build/mvm", "build/guests/idle.elf");
        if (!mvm.ok()) {
            return "cannot build mvm and its test guest: " + mvm.stderr();
        }
        if (!Files.isRegularFile(IMAGE_SOURCE.resolve("initrd"))) {
            Command.Result image = Command.run(List.of("sh", "scripts/build-vm-image.sh", IMAGE_SOURCE.toString()), null);
            if (!image.ok()) {
                return "cannot build the tiny-linux image from Debian packages: " + image.stderr().strip();
            }
        }
        return null;
    }

    @AfterAll
    static void removeHost() throws IOException {
        if (console != null) {
            console.close();
        }
        HostDriver driver = ClientProxy.unwrap(Arc.container().instance(HostDriver.class).get());
        if (driver instanceof Agent agent) {
            // Only the instances: the agent, its pool and its bridge belong to the profile, which
            // VmConsoleSessionsTest shares in the same application after this class (test classes
            // run grouped by profile, then by name) and closes and removes at its end.
            for (InstanceStatus status : agent.list()) {
                agent.destroy(status.id());
            }
        }
    }

    static Agent agent() {
        HostDriver driver = ClientProxy.unwrap(Arc.container().instance(HostDriver.class).get());
        assertThat(driver).as("the local host runs the host agent").isInstanceOf(Agent.class);
        Agent agent = (Agent) driver;
        assertThat(agent.facts().kinds()).as("host problems: " + agent.facts().problems()).contains("jail", "vm");
        return agent;
    }

    @Test
    @Order(1)
    void aLinuxVmBootsToAShellOnItsSerialConsoleAndRunsACommand() throws Exception {
        Agent agent = agent();
        System.out.println("host facts: " + agent.facts().runtimes());
        peer = JailApiTest.createRunning("bob", "peer");
        stranger = JailApiTest.createRunning("dave", "stranger");

        long started = System.nanoTime();
        linux = createVm("bob", "linux", "tiny-linux");
        UUID id = UUID.fromString(linux);
        assertEquals("running", Api.as("bob").get("/api/v1/instances/" + linux).path("state"));
        assertEquals("qemu", agent.vms().hypervisorOf(id), "the panel picked QEMU for a stock kernel here");
        long monitor = agent.status(id).pid();
        assertThat(Processes.sessionOf(monitor))
                .as("QEMU runs in a session of its own, so it outlives the agent")
                .isNotEqualTo(Processes.sessionOf(ProcessHandle.current().pid()));
        assertThat(Files.readString(Path.of("/proc", Long.toString(monitor), "cmdline")).replace('\0', ' '))
                .as("under TCG here").contains("-accel tcg");
        console = new Transcript(new io.multiplicity.support.BrokerConsole(broker(), id));
        String boot = console.await("up as", Duration.ofSeconds(150));
        assertThat(boot).as("the kernel boots on the serial console").contains("Linux version 6.");
        console.await(":/# ", Duration.ofSeconds(30));
        System.out.printf("tiny-linux booted to a shell prompt in %d ms%n", (System.nanoTime() - started) / 1_000_000);
        String answer = console.run("echo $((6 * 7)) $(hostname)", Duration.ofSeconds(20));
        String name = Api.as("bob").get("/api/v1/instances/" + linux).path("name");
        assertThat(answer).as("the command ran in the guest").contains("42 " + name);
    }

    @Test
    @Order(2)
    void theVmReachesItsTenantsJailButNotAnotherTenants() throws Exception {
        Agent agent = agent();
        String peerAddress = Api.as("bob").get("/api/v1/instances/" + peer).path("address");
        String strangerAddress = Api.as("dave").get("/api/v1/instances/" + stranger).path("address");
        String vmAddress = Api.as("bob").get("/api/v1/instances/" + linux).path("address");
        assertThat(console.run("ip -o -4 addr show dev eth0", Duration.ofSeconds(20))).contains(vmAddress + "/");
        assertThat(console.run("ping -c 2 -W 3 " + peerAddress, Duration.ofSeconds(30)))
                .as("the VM reaches its tenant's jail").containsPattern("[12] packets received");
        assertThat(console.run("ping -c 1 -W 2 " + strangerAddress, Duration.ofSeconds(30)))
                .as("the VM does not reach another tenant's jail").contains("0 packets received");
        assertTrue(agent.jails().exec(UUID.fromString(peer), "ping", "-c", "1", "-W", "3", vmAddress).ok(),
                "the jail reaches its tenant's VM");
        assertFalse(agent.jails().exec(UUID.fromString(stranger), "ping", "-c", "1", "-W", "2", vmAddress).ok(),
                "another tenant's jail does not reach the VM");
    }

    @Test
    @Order(3)
    void aGrownDiskIsSeenByTheRunningGuest() throws Exception {
        Agent agent = agent();
        UUID id = UUID.fromString(linux);
        assertThat(console.run("cat /sys/block/vda/size", Duration.ofSeconds(20))).contains("\n2097152");
        JailApiTest.succeed("bob", Api.as("bob").body(Map.of("diskGiB", 2)).patch("/api/v1/instances/" + linux));
        assertEquals(2, (int) Api.as("bob").get("/api/v1/instances/" + linux).path("diskGiB"));
        Path disk = agent.vms().storage().instanceMountpoint(id).resolve("disk.raw");
        assertEquals(2L << 30, Files.size(disk), "the disk file grew");
        assertThat(console.run("sleep 1; cat /sys/block/vda/size", Duration.ofSeconds(20)))
                .as("the guest sees 2 GiB of 512-byte sectors").contains("\n4194304");
    }

    @Test
    @Order(4)
    void aStopPowersTheGuestOffAndAStartBootsItAgainWithWhatItWroteOnItsDisk() throws Exception {
        Agent agent = agent();
        UUID id = UUID.fromString(linux);
        String kept = "kept-" + UUID.randomUUID().toString().substring(0, 8);
        console.run("echo " + kept + " > /dev/vda; sync", Duration.ofSeconds(20));
        long monitor = agent.status(id).pid();
        Path log = agent.vms().vmDirectory(id).resolve("console.log");

        long asked = System.nanoTime();
        JailApiTest.succeed("bob", Api.as("bob").post("/api/v1/instances/" + linux + "/stop"));
        long stopping = (System.nanoTime() - asked) / 1_000_000;
        System.out.printf("tiny-linux stopped through the API in %d ms%n", stopping);
        assertEquals("stopped", Api.as("bob").get("/api/v1/instances/" + linux).path("state"));
        assertFalse(Processes.alive(monitor), "QEMU has exited");
        assertThat(consoleLog(log, 0)).as("the guest powered itself off on the ACPI power button")
                .contains("reboot: Power down");
        assertThat(stopping).as("a clean power-off, not a monitor forced after the 30 s timeout").isLessThan(25_000);
        console.close();
        console = null;

        long booted = Files.size(log);
        long started = System.nanoTime();
        JailApiTest.succeed("bob", Api.as("bob").post("/api/v1/instances/" + linux + "/start"));
        assertEquals("running", Api.as("bob").get("/api/v1/instances/" + linux).path("state"));
        assertThat(agent.status(id).pid()).as("a new monitor").isNotEqualTo(monitor);
        awaitConsoleLog(log, booted, ":/# ", Duration.ofSeconds(150));
        System.out.printf("tiny-linux booted again to a shell prompt in %d ms%n", (System.nanoTime() - started) / 1_000_000);
        console = new Transcript(new io.multiplicity.support.BrokerConsole(broker(), id));
        assertThat(console.run("head -c " + kept.length() + " /dev/vda; echo; cat /sys/block/vda/size",
                Duration.ofSeconds(20))).as("the disk kept what the guest wrote, and its grown size")
                .contains("\n" + kept + "\r\n4194304");
    }

    /** The VM's console log from byte {@code from} on (QEMU appends the serial output to it). */
    static String consoleLog(Path log, long from) throws IOException {
        byte[] bytes = Files.readAllBytes(log);
        int start = bytes.length < from ? 0 : (int) from;
        return new String(bytes, start, bytes.length - start, StandardCharsets.ISO_8859_1);
    }

    static void awaitConsoleLog(Path log, long from, String marker, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!consoleLog(log, from).contains(marker)) {
            if (System.nanoTime() > deadline) {
                String seen = consoleLog(log, from);
                throw new AssertionError("the console did not show '" + marker + "' within " + timeout + "; it showed: "
                        + seen.substring(Math.max(0, seen.length() - 2000)));
            }
            Thread.sleep(200);
        }
    }

    @Test
    @Order(5)
    void theSameApiRunsTheMvmTestGuestWhoseConsoleShowsTheGuest() throws Exception {
        Agent agent = agent();
        micro = createVm("bob", "micro", "mvm-test");
        UUID id = UUID.fromString(micro);
        // mvm where there is KVM (the host prefers it); QEMU under TCG where there is none.
        String expected = KvmHost.usable() ? "mvm" : "qemu";
        System.out.println("the mvm-test VM runs on " + agent.status(id).detail() + (KvmHost.usable()
                ? ": /dev/kvm is here, so mvm's console and VNC are checked"
                : ": no /dev/kvm here (mvm needs it), so QEMU's console and VNC are checked instead of mvm's"));
        assertEquals(expected, agent.vms().hypervisorOf(id));
        assertEquals("running", Api.as("bob").get("/api/v1/instances/" + micro).path("state"));
        try (Transcript transcript = new Transcript(new io.multiplicity.support.BrokerConsole(broker(), id))) {
            assertThat(transcript.await("idle guest halting", Duration.ofSeconds(20))).contains("idle guest halting");
        }
        try (ConsoleStream vnc = agent.openGraphics(id)) {
            byte[] version = new byte[12];
            int read = vnc.fromConsole().readNBytes(version, 0, 12);
            assertEquals("RFB 003.008\n", new String(version, 0, read, StandardCharsets.US_ASCII),
                    expected + "'s VNC server answers on its unix socket");
        }
    }

    @Test
    @Order(6)
    void aNoVncClientGetsAFramebufferUpdateThroughTheGateway() throws Exception {
        Response issued = Api.as("bob").body(Map.of("type", "vnc")).post("/api/v1/instances/" + micro + "/console");
        assertEquals(201, issued.statusCode(), issued.asString());
        RfbOverWebSocket rfb = RfbOverWebSocket.connect(base.toString(), issued.path("url"));
        try {
            assertEquals("binary", rfb.subprotocol(), "the gateway speaks noVNC's subprotocol");
            String version = new String(rfb.read(12), StandardCharsets.US_ASCII);
            assertEquals("RFB 003.008\n", version);
            rfb.send("RFB 003.008\n".getBytes(StandardCharsets.US_ASCII));
            int types = rfb.read(1)[0] & 0xff;
            assertThat(types).as("security types offered").isPositive();
            byte[] offered = rfb.read(types);
            boolean none = false;
            for (byte type : offered) {
                none |= type == 1;
            }
            assertTrue(none, "security type None is offered (the socket is the access control)");
            rfb.send(new byte[] {1});
            assertEquals(0, java.nio.ByteBuffer.wrap(rfb.read(4)).getInt(), "security result OK");
            rfb.send(new byte[] {1});   // ClientInit: shared
            java.nio.ByteBuffer init = java.nio.ByteBuffer.wrap(rfb.read(24));
            int width = init.getShort(0) & 0xffff;
            int height = init.getShort(2) & 0xffff;
            int bitsPerPixel = init.get(4) & 0xff;
            int nameLength = init.getInt(20);
            rfb.read(nameLength);
            assertThat(width).isPositive();
            assertThat(height).isPositive();
            // FramebufferUpdateRequest of the whole screen, not incremental.
            java.nio.ByteBuffer request = java.nio.ByteBuffer.allocate(10);
            request.put((byte) 3).put((byte) 0).putShort((short) 0).putShort((short) 0)
                    .putShort((short) width).putShort((short) height);
            rfb.send(request.array());
            byte[] header = rfb.read(4);
            while ((header[0] & 0xff) != 0) {   // skip anything before the update (e.g. a bell)
                assertThat(header[0] & 0xff).as("server message type").isIn(1, 2, 3);
                header = rfb.read(4);
            }
            int rectangles = java.nio.ByteBuffer.wrap(header).getShort(2) & 0xffff;
            assertThat(rectangles).as("rectangles in the framebuffer update").isPositive();
            java.nio.ByteBuffer rectangle = java.nio.ByteBuffer.wrap(rfb.read(12));
            int rectWidth = rectangle.getShort(4) & 0xffff;
            int rectHeight = rectangle.getShort(6) & 0xffff;
            int encoding = rectangle.getInt(8);
            assertThat(rectWidth).isPositive();
            assertThat(rectHeight).isPositive();
            if (encoding == 0) {
                byte[] pixels = rfb.read(rectWidth * rectHeight * bitsPerPixel / 8);
                assertEquals(rectWidth * rectHeight * bitsPerPixel / 8, pixels.length);
            }
            System.out.printf("[vnc] %dx%d framebuffer, %d bpp; update of %d rectangle(s), first %dx%d encoding %d,"
                    + " through the gateway%n", width, height, bitsPerPixel, rectangles, rectWidth, rectHeight, encoding);
        } finally {
            rfb.close();
        }
    }

    /** A noVNC-like client: RFB bytes in binary WebSocket messages, subprotocol "binary". */
    static final class RfbOverWebSocket implements java.net.http.WebSocket.Listener {
        private final java.util.concurrent.LinkedBlockingDeque<Byte> bytes = new java.util.concurrent.LinkedBlockingDeque<>();
        private java.net.http.WebSocket socket;

        static RfbOverWebSocket connect(String base, String path) throws Exception {
            RfbOverWebSocket client = new RfbOverWebSocket();
            client.socket = java.net.http.HttpClient.newHttpClient().newWebSocketBuilder()
                    .subprotocols("binary")
                    .buildAsync(java.net.URI.create(base.replaceFirst("^http", "ws").replaceAll("/$", "") + path), client)
                    .get(15, java.util.concurrent.TimeUnit.SECONDS);
            return client;
        }

        String subprotocol() {
            return socket.getSubprotocol();
        }

        @Override
        public java.util.concurrent.CompletionStage<?> onBinary(java.net.http.WebSocket webSocket,
                java.nio.ByteBuffer data, boolean last) {
            while (data.hasRemaining()) {
                bytes.add(data.get());
            }
            webSocket.request(1);
            return null;
        }

        byte[] read(int count) throws InterruptedException {
            byte[] out = new byte[count];
            for (int i = 0; i < count; i++) {
                Byte next = bytes.poll(20, java.util.concurrent.TimeUnit.SECONDS);
                if (next == null) {
                    throw new AssertionError("the RFB stream stopped after " + i + " of " + count + " bytes");
                }
                out[i] = next;
            }
            return out;
        }

        void send(byte[] data) {
            socket.sendBinary(java.nio.ByteBuffer.wrap(data), true).join();
        }

        void close() {
            socket.sendClose(java.net.http.WebSocket.NORMAL_CLOSURE, "done");
        }
    }

    @Test
    @Order(7)
    void aKilledMonitorIsCrashedWithinSecondsAndTheRestartPolicyBringsItBack() throws Exception {
        Agent agent = agent();
        UUID id = UUID.fromString(micro);
        long pid = agent.status(id).pid();
        assertThat(pid).as("the monitor's pid").isPositive();
        // left down, so the crash shows: the instance's own restart policy would start it again
        Api.as("bob").body(Map.of("restartPolicy", "never")).patch("/api/v1/instances/" + micro).then().statusCode(202);
        long killedAt = System.nanoTime();
        assertTrue(Command.run("kill", "-9", Long.toString(pid)).ok());
        awaitState("bob", micro, "crashed", Duration.ofSeconds(10));
        System.out.printf("monitor killed: the API showed crashed after %d ms%n",
                (System.nanoTime() - killedAt) / 1_000_000);

        JailApiTest.succeed("bob", Api.as("bob").post("/api/v1/instances/" + micro + "/start"));
        assertEquals("running", Api.as("bob").get("/api/v1/instances/" + micro).path("state"));

        agent.vms().restartPolicy("on-crash");
        try {
            long second = agent.status(id).pid();
            assertThat(second).as("the new monitor's pid").isPositive();
            killedAt = System.nanoTime();
            assertTrue(Command.run("kill", "-9", Long.toString(second)).ok());
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (agent.status(id).pid() == second || agent.status(id).state() != InstanceStatus.State.RUNNING) {
                assertThat(System.nanoTime()).as("restarted within 15 s").isLessThan(deadline);
                Thread.sleep(100);
            }
            System.out.printf("monitor killed with the on-crash policy: running again after %d ms%n",
                    (System.nanoTime() - killedAt) / 1_000_000);
            awaitState("bob", micro, "running", Duration.ofSeconds(10));
            assertEquals(1, agent.vms().restartsOf(id));
        } finally {
            agent.vms().restartPolicy("never");
        }
    }

    @Test
    @Order(8)
    void deleteLeavesNothingOnTheHost() throws Exception {
        Agent agent = agent();
        VmDriver vms = agent.vms();
        if (console != null) {
            console.close();
            console = null;
        }
        for (String vm : List.of(linux, micro)) {
            UUID id = UUID.fromString(vm);
            long pid = agent.status(id).pid();
            String hypervisor = vms.hypervisorOf(id);
            long started = System.nanoTime();
            JailApiTest.succeed("bob", Api.as("bob").delete("/api/v1/instances/" + vm));
            System.out.printf("deleted the %s VM in %d ms%n", hypervisor, (System.nanoTime() - started) / 1_000_000);
            Api.as("bob").get("/api/v1/instances/" + vm).then().statusCode(404);
            assertEquals(InstanceStatus.State.ABSENT, agent.status(id).state());
            assertFalse(vms.storage().exists(vms.storage().instanceDataset(id)), "no dataset");
            assertFalse(TapDevice.exists(TapDevice.name(id)), "no tap");
            assertFalse(Processes.alive(pid), "no monitor process");
            for (Path left : List.of(vms.serialSocket(id), vms.vncSocket(id), vms.controlSocket(id),
                    vms.vmDirectory(id))) {
                assertFalse(Files.exists(left), "nothing left at " + left);
            }
        }
        JailApiTest.succeed("bob", Api.as("bob").delete("/api/v1/instances/" + peer));
        JailApiTest.succeed("dave", Api.as("dave").delete("/api/v1/instances/" + stranger));
        assertThat(agent.list()).isEmpty();
    }

    static io.multiplicity.console.SerialBroker broker() {
        return Arc.container().instance(io.multiplicity.console.SerialBroker.class).get();
    }

    static String createVm(String user, String name, String image) {
        Response accepted = Api.as(user).body(Map.of("name", name + "-" + UUID.randomUUID().toString().substring(0, 4),
                "kind", "vm", "image", image, "type", "v1.nano", "start", true)).post("/api/v1/instances");
        assertEquals(202, accepted.statusCode(), accepted.asString());
        JailApiTest.succeed(user, accepted);
        return accepted.path("target");
    }

    static void awaitState(String user, String id, String state, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String seen = null;
        while (System.nanoTime() < deadline) {
            seen = Api.as(user).get("/api/v1/instances/" + id).path("state");
            if (state.equals(seen)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("instance " + id + " not " + state + " within " + timeout + " (last: " + seen + ")");
    }

    /** Everything a console printed since it was opened, read by a thread of its own. */
    static final class Transcript implements AutoCloseable {

        private final ConsoleStream stream;
        private final StringBuilder text = new StringBuilder();
        private int consumed;

        Transcript(ConsoleStream stream) {
            this.stream = stream;
            Thread.ofVirtual().start(() -> {
                byte[] buffer = new byte[4096];
                try {
                    int read;
                    while ((read = stream.fromConsole().read(buffer)) > 0) {
                        synchronized (text) {
                            text.append(new String(buffer, 0, read, StandardCharsets.ISO_8859_1));
                            text.notifyAll();
                        }
                    }
                } catch (IOException e) {
                    // closed
                }
            });
        }

        /** Waits for {@code marker} after what was already consumed; returns the text up to it. */
        String await(String marker, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            synchronized (text) {
                while (true) {
                    int at = text.indexOf(marker, consumed);
                    if (at >= 0) {
                        String seen = text.substring(consumed, at + marker.length());
                        consumed = at + marker.length();
                        return seen;
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new AssertionError("console did not show '" + marker + "' within " + timeout
                                + "; it showed: " + text.substring(Math.max(0, text.length() - 2000)));
                    }
                    text.wait(Math.max(1, left / 1_000_000));
                }
            }
        }

        /** Types a command and returns what it printed (up to its end marker). */
        String run(String command, Duration timeout) throws IOException, InterruptedException {
            String marker = "end-" + UUID.randomUUID().toString().substring(0, 8);
            stream.toConsole().write((command + "; echo " + marker.substring(0, 4) + "''" + marker.substring(4) + "\n")
                    .getBytes(StandardCharsets.UTF_8));
            stream.toConsole().flush();
            return await(marker, timeout);
        }

        @Override
        public void close() throws IOException {
            stream.close();
        }
    }
}

package io.multiplicity.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiplicity.agent.Command.Result;
import io.multiplicity.agent.jail.ConsoleConnection;
import io.multiplicity.agent.network.HostNetwork;
import io.multiplicity.host.InstanceSpec;
import io.multiplicity.host.InstanceStatus;
import io.multiplicity.host.InstanceStatus.State;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Real jails: a real zfs-fuse (or OpenZFS) pool on a file under {@code target/}, real runc, real
 * namespaces, veth pairs and bridges. Skips, saying why, where the machine cannot run them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LinuxHostDriverTest {

    private static final UUID ACME = UUID.randomUUID();
    private static final UUID GLOBEX = UUID.randomUUID();
    private static final int PIDS_LIMIT = 64;

    private JailHost host;
    private LinuxHostDriver driver;
    private InstanceSpec alpha;
    private InstanceSpec beta;
    private InstanceSpec gamma;

    @BeforeAll
    void startHost() {
        String reason = JailHost.unavailableReason();
        if (reason != null) {
            System.err.println("SKIPPED LinuxHostDriverTest: " + reason);
        }
        Assumptions.assumeTrue(reason == null, reason);
        host = new JailHost("jailtest", PIDS_LIMIT);
        driver = host.start();
        alpha = host.jail("alpha", ACME, 101, 11, 128, 1);
        beta = host.jail("beta", ACME, 101, 12, 128, 1);
        gamma = host.jail("gamma", GLOBEX, 102, 11, 128, 1);
        for (InstanceSpec spec : List.of(alpha, beta, gamma)) {
            assertEquals(State.STOPPED, driver.provision(spec).state());
            assertEquals(State.RUNNING, driver.start(spec).state());
        }
        for (InstanceSpec spec : List.of(alpha, beta, gamma)) {
            awaitNetwork(spec);
        }
    }

    @AfterAll
    void stopHost() {
        if (host != null) {
            host.close();
        }
    }

    @Test
    @Order(1)
    void jailSeesItsOwnHostnameAddressAndProcesses() throws Exception {
        String hostname = exec(alpha, "hostname").stdout().strip();
        String address = exec(alpha, "ip", "-o", "-4", "addr", "show", "dev", "eth0").stdout();
        String processes = exec(alpha, "ps", "-o", "pid,comm").stdout();
        System.out.println("[jail] hostname=" + hostname + " eth0=" + address.strip());
        System.out.println("[jail] ps:\n" + processes.strip());
        assertEquals("alpha", hostname);
        assertTrue(address.contains("10.231.101.11/24"), address);
        List<String> lines = processes.lines().skip(1).map(String::strip).toList();
        assertTrue(lines.get(0).matches("1\\s+init"), "PID 1 is the image's init: " + lines);
        assertTrue(lines.size() <= 4, "only the jail's own processes: " + lines);

        try (ConsoleConnection console = driver.openConsole(alpha.id())) {
            console.toConsole().write("echo console-$((6*7)) $(hostname)\n".getBytes(StandardCharsets.UTF_8));
            String seen = readUntil(console.fromConsole(), "console-42 alpha", Duration.ofSeconds(10));
            System.out.println("[jail] console answered: console-42 alpha");
            assertTrue(seen.contains("console-42 alpha"), seen);
        }
    }

    private Result exec(InstanceSpec spec, String... command) {
        return driver.exec(spec.id(), command);
    }

    private void awaitNetwork(InstanceSpec spec) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            Result result = exec(spec, "ip", "-o", "-4", "addr", "show", "dev", "eth0");
            if (result.ok() && result.stdout().contains(spec.network().address() + "/")) {
                return;
            }
            sleep(50);
        }
        throw new AssertionError(spec.name() + " never configured its address");
    }

    static String readUntil(InputStream input, String expected, Duration timeout) throws Exception {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        CompletableFuture<String> reader = CompletableFuture.supplyAsync(() -> {
            byte[] buffer = new byte[4096];
            try {
                int count;
                while ((count = input.read(buffer)) > 0) {
                    synchronized (seen) {
                        seen.write(buffer, 0, count);
                        if (seen.toString(StandardCharsets.UTF_8).contains(expected)) {
                            return seen.toString(StandardCharsets.UTF_8);
                        }
                    }
                }
            } catch (IOException e) {
                // closed
            }
            synchronized (seen) {
                return seen.toString(StandardCharsets.UTF_8);
            }
        });
        try {
            return reader.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            synchronized (seen) {
                return seen.toString(StandardCharsets.UTF_8);
            }
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

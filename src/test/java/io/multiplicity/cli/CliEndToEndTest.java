package io.multiplicity.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.multiplicity.agent.Agent;
import io.multiplicity.agent.jail.JailDriver;
import io.multiplicity.agent.jail.JailHost;
import io.multiplicity.agent.support.Command;
import io.multiplicity.host.contract.HostDriver;
import io.multiplicity.host.contract.InstanceStatus;
import io.multiplicity.support.Api;
import io.multiplicity.support.LocalJailProfile;
import io.multiplicity.support.Tarballs;
import io.multiplicity.support.TestKeycloak;
import io.quarkus.arc.Arc;
import io.quarkus.arc.ClientProxy;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The command-line client ({@code cli/}, its jar run as a user runs it: a separate process with its
 * own configuration directory) against the real panel, the real test Keycloak, and real jails on this
 * machine's ZFS and OCI runtime.
 */
@QuarkusTest
@TestProfile(LocalJailProfile.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CliEndToEndTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SUFFIX = UUID.randomUUID().toString().substring(0, 6);
    private static final String JAIL = "cli-" + SUFFIX;
    private static final String IMAGE = "cli-image-" + SUFFIX;

    @TestHTTPResource("/")
    java.net.URL base;

    static Path bobConfig;
    static Path aliceConfig;
    static Path tokenConfig;

    /** What one run of the CLI did: its exit status and both outputs. */
    record Run(int exitCode, String out, String err) {
        JsonNode json() throws IOException {
            return JSON.readTree(out);
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
        }
    }

    @BeforeAll
    static void requireJailsAndTheCli() throws IOException {
        String missing = JailHost.unavailableReason();
        if (missing != null) {
            System.err.println("SKIPPED CliEndToEndTest: real jails cannot run on this machine: " + missing);
        }
        Assumptions.assumeTrue(missing == null, "real jails cannot run on this machine: " + missing);
        assertThat(jar()).as("the CLI's jar: build it with `./mvnw -f cli/pom.xml package` (make build and make test do)")
                .exists();
        bobConfig = Files.createTempDirectory("cli-bob");
        aliceConfig = Files.createTempDirectory("cli-alice");
        tokenConfig = Files.createTempDirectory("cli-token");
    }

    @AfterAll
    static void removeEverything() throws IOException {
        if (ClientProxy.unwrap(Arc.container().instance(HostDriver.class).get()) instanceof Agent agent) {
            JailDriver jails = agent.jails();
            // Only the jails: the pool and the bridge belong to the profile, which JailApiTest shares
            // in the same application after this class (test classes run grouped by profile, then by
            // name) and removes at its end.
            for (InstanceStatus status : jails.list()) {
                jails.destroy(status.id());
            }
        }
        for (Path directory : new Path[] {bobConfig, aliceConfig, tokenConfig}) {
            if (directory != null) {
                try (var files = Files.walk(directory)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
                }
            }
        }
    }

    static Path jar() {
        return TestKeycloak.projectRoot().resolve("cli/target/multiplicity-cli.jar");
    }

    /**
     * Runs {@code multiplicity args...} with the configuration directory {@code config}, feeding it
     * {@code stdin}: the jar's entry point called in this JVM (through a class loader of its own, so
     * nothing of the panel's class path leaks in), which spares a JVM start per command.
     */
    Run typing(String stdin, Path config, String... args) throws Exception {
        Map<String, String> environment = new HashMap<>(System.getenv());
        environment.remove("MULTIPLICITY_TOKEN");
        environment.put("MULTIPLICITY_CONFIG_DIR", config.toString());
        environment.put("MULTIPLICITY_URL", base.toString());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exitCode = (int) entryPoint().invoke(null, args, environment,
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), false);
        Run run = new Run(exitCode, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        System.out.println("$ multiplicity " + String.join(" ", args) + "\n" + run);
        return run;
    }

    private static Method entryPoint;

    static synchronized Method entryPoint() throws Exception {
        if (entryPoint == null) {
            URLClassLoader loader = new URLClassLoader(new URL[] {jar().toUri().toURL()}, ClassLoader.getPlatformClassLoader());
            entryPoint = loader.loadClass("io.multiplicity.cli.Multiplicity").getMethod("run", String[].class, Map.class,
                    InputStream.class, PrintStream.class, PrintStream.class, boolean.class);
        }
        return entryPoint;
    }

    Run cli(Path config, String... args) throws Exception {
        return typing("", config, args);
    }

    @Test
    @Order(0)
    void theLauncherRunsTheJar() throws Exception {
        ProcessBuilder builder = new ProcessBuilder("bash", TestKeycloak.projectRoot().resolve("cli/bin/multiplicity").toString(),
                "--url", base.toString(), "instances", "list").redirectErrorStream(true);
        builder.environment().remove("MULTIPLICITY_TOKEN");
        builder.environment().put("MULTIPLICITY_CONFIG_DIR", tokenConfig.toString());
        Process process = builder.start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        // a configuration directory with no login yet: the CLI says so, with its exit status for it
        assertEquals(4, process.exitValue(), output);
        assertThat(output).contains("not logged in");
    }

    @Test
    @Order(1)
    void logsInWithThePasswordGrantAndKeepsTheLoginPrivate() throws Exception {
        Run notYet = cli(bobConfig, "whoami");
        assertEquals(4, notYet.exitCode(), notYet.toString());
        assertThat(notYet.err()).contains("not logged in");

        // the identity provider found from the panel's URL alone
        Run login = typing("bob\n", bobConfig, "login", "--username", "bob", "--password-stdin");
        assertEquals(0, login.exitCode(), login.toString());
        assertThat(login.out()).contains("Logged in to").contains("as bob (tenant acme)");
        Path file = bobConfig.resolve("config.json");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));

        Run whoami = cli(bobConfig, "whoami", "--output", "json");
        assertEquals(0, whoami.exitCode(), whoami.toString());
        assertEquals("bob", whoami.json().path("username").asText());
        assertEquals("acme", whoami.json().path("tenant").asText());

        Run wrongPassword = typing("nope\n", aliceConfig, "login", "--username", "alice", "--password-stdin",
                "--issuer", TestKeycloak.url() + "/realms/multiplicity");
        assertEquals(4, wrongPassword.exitCode(), wrongPassword.toString());
        assertThat(wrongPassword.err()).contains("Invalid user credentials");
    }

    @Test
    @Order(2)
    void createsAJailWithWaitAndItRuns() throws Exception {
        Run created = cli(bobConfig, "instances", "create", JAIL, "--image", "busybox", "--type", "j1.nano", "--start",
                "--wait", "--timeout", "90");
        assertEquals(0, created.exitCode(), created.toString());
        assertThat(created.err()).as("the progress line").contains("instance.create").contains("succeeded 100%");
        assertThat(created.out()).contains("instance.create succeeded");

        Run shown = cli(bobConfig, "instances", "show", JAIL, "-o", "json");
        assertEquals(0, shown.exitCode(), shown.toString());
        assertEquals("running", shown.json().path("state").asText());
        assertEquals("busybox", shown.json().path("image").asText());

        Run listed = cli(bobConfig, "instances", "list", "--output", "json");
        assertEquals(0, listed.exitCode(), listed.toString());
        assertThat(listed.json().findValuesAsText("name")).contains(JAIL);
        Run table = cli(bobConfig, "instances", "list");
        assertThat(table.out()).startsWith("NAME").contains(JAIL).contains("running");
        Run yaml = cli(bobConfig, "instances", "show", JAIL, "-o", "yaml");
        assertThat(yaml.out()).contains("name: \"" + JAIL + "\"");
    }

    @Test
    @Order(3)
    void runsACommandOnTheSerialConsole() throws Exception {
        Run console = typing("\necho cli-$((6*7))\n", bobConfig, "console", JAIL, "--linger", "2");
        assertEquals(0, console.exitCode(), console.toString());
        assertThat(console.out()).as("the shell in the jail ran the command").contains("cli-42");
        assertThat(console.err()).contains("Ctrl-] q");
    }

    /**
     * The console on a terminal (a pseudo-terminal made by util-linux {@code script}, 43 rows by
     * 132 columns): raw mode lets Ctrl-C reach the jail's shell rather than end the CLI, the window
     * size reaches the jail, and Ctrl-] q leaves.
     */
    @Test
    @Order(3)
    void theConsoleOnATerminalIsRawFollowsTheWindowAndLeavesWithItsEscape() throws Exception {
        if (Command.run("script", "--version").exitCode() != 0) {
            System.err.println("SKIPPED theConsoleOnATerminal...: util-linux script (to make a pseudo-terminal) is missing");
            Assumptions.abort("util-linux script is missing");
        }
        String launcher = TestKeycloak.projectRoot().resolve("cli/bin/multiplicity").toString();
        ProcessBuilder builder = new ProcessBuilder("script", "-qfec",
                "stty rows 43 cols 132 && exec " + launcher + " console " + JAIL, "/dev/null").redirectErrorStream(true);
        builder.environment().remove("MULTIPLICITY_TOKEN");
        builder.environment().put("MULTIPLICITY_CONFIG_DIR", bobConfig.toString());
        builder.environment().put("MULTIPLICITY_URL", base.toString());
        Process process = builder.start();
        StringBuffer screen = new StringBuffer();
        Thread reader = Thread.ofVirtual().start(() -> {
            try (InputStream in = process.getInputStream()) {
                byte[] buffer = new byte[4096];
                for (int read; (read = in.read(buffer)) >= 0; ) {
                    screen.append(new String(buffer, 0, read, StandardCharsets.ISO_8859_1));
                }
            } catch (IOException e) {
                // the process ended
            }
        });
        var keyboard = process.getOutputStream();
        try {
            awaitScreen(screen, "Ctrl-] q", 90);
            type(keyboard, "\r");
            awaitScreen(screen, "#", 20);
            type(keyboard, "stty size\r");
            awaitScreen(screen, "43 132", 20);
            type(keyboard, "sleep 300\r");
            Thread.sleep(500);
            type(keyboard, "\u0003");
            type(keyboard, "echo after-$((20+22))\r");
            awaitScreen(screen, "after-42", 20);
            type(keyboard, "\u001dq");
            assertThat(process.waitFor(20, TimeUnit.SECONDS)).as("Ctrl-] q leaves: " + screen).isTrue();
            assertEquals(0, process.exitValue(), screen.toString());
            assertThat(screen.toString()).contains("[console closed]");
        } finally {
            process.destroyForcibly();
            reader.join(5000);
        }
    }

    private static void type(java.io.OutputStream keyboard, String keys) throws IOException {
        keyboard.write(keys.getBytes(StandardCharsets.UTF_8));
        keyboard.flush();
    }

    private static void awaitScreen(StringBuffer screen, String text, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (screen.indexOf(text) < 0) {
            assertThat(System.nanoTime()).as("'" + text + "' on the terminal within " + seconds + " s: " + screen)
                    .isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    @Test
    @Order(4)
    void uploadsAnImageWithProgress() throws Exception {
        byte[] noise = new byte[3 << 20];
        ThreadLocalRandom.current().nextBytes(noise);
        byte[] tarball = Tarballs.gzip(tar -> {
            Tarballs.directory(tar, "etc");
            Tarballs.file(tar, "etc/hostname", "cli\n");
            TarArchiveEntry entry = new TarArchiveEntry("noise.bin");
            entry.setSize(noise.length);
            Tarballs.put(tar, entry, noise);
        });
        Path file = Files.createTempFile("cli-rootfs", ".tar.gz");
        Files.write(file, tarball);
        try {
            Run created = cli(bobConfig, "images", "create", IMAGE, "--os", "busybox", "--description", "from the CLI");
            assertEquals(0, created.exitCode(), created.toString());
            Run uploaded = cli(bobConfig, "images", "upload", IMAGE, file.toString(), "--version", "1.0",
                    "--channel", "stable");
            assertEquals(0, uploaded.exitCode(), uploaded.toString());
            assertThat(uploaded.err().lines().filter(line -> line.startsWith("uploading")).count())
                    .as("a progress line that moves").isGreaterThan(2);
            assertThat(uploaded.err()).contains("100% ").contains("checked and imported");
            Run shown = cli(bobConfig, "images", "show", IMAGE, "-o", "json");
            JsonNode version = shown.json().path("versions").get(0);
            assertEquals("1.0", version.path("version").asText());
            assertEquals(Tarballs.sha256(tarball), version.path("sha256").asText());
            assertEquals("1.0", shown.json().path("channels").path("stable").asText());

            Run deleted = cli(bobConfig, "images", "delete", IMAGE);
            assertEquals(0, deleted.exitCode(), deleted.toString());
        } finally {
            Files.delete(file);
        }
    }

    @Test
    @Order(5)
    void exportsLastMonthsBillAsCsv() throws Exception {
        Run csv = cli(bobConfig, "bill", "--format", "csv");
        assertEquals(0, csv.exitCode(), csv.toString());
        assertThat(csv.out().lines().findFirst().orElse("")).isEqualTo("tenant_id,tenant,period_start,period_end,instance_id,"
                + "instance_name,kind,resource,description,quantity,unit,unit_price,cost,currency,charge_start,charge_end");
        Run json = cli(bobConfig, "bill", "-o", "json");
        assertEquals(0, json.exitCode(), json.toString());
        assertEquals(YearMonth.now(ZoneOffset.UTC).minusMonths(1).toString(), json.json().path("period").asText());
        assertEquals("acme", json.json().path("tenant").asText());
    }

    @Test
    @Order(6)
    void badArgumentsExitNonZeroWithTheApisMessage() throws Exception {
        Run badName = cli(bobConfig, "instances", "create", "Not_A_Label", "--image", "busybox");
        assertEquals(1, badName.exitCode(), badName.toString());
        assertThat(badName.err()).contains("must be a DNS label").contains("validation_failed").contains("HTTP 400");

        Run badPeriod = cli(bobConfig, "bill", "--period", "2026-13", "--format", "csv");
        assertEquals(1, badPeriod.exitCode(), badPeriod.toString());
        assertThat(badPeriod.err()).contains("invalid_period");

        Run unknown = cli(bobConfig, "instances", "show", "no-such-" + SUFFIX);
        assertEquals(3, unknown.exitCode(), unknown.toString());
        Run usage = cli(bobConfig, "instances", "create", JAIL);
        assertEquals(2, usage.exitCode(), usage.toString());
        assertThat(usage.err()).contains("Missing required option: '--image=<image>'");
    }

    @Test
    @Order(7)
    void stopSnapshotResizeRollbackAndStartTheJailAndKeepAnSshKey() throws Exception {
        Run stopped = cli(bobConfig, "instances", "stop", JAIL, "--wait", "--timeout", "60");
        assertEquals(0, stopped.exitCode(), stopped.toString());
        assertEquals("stopped", cli(bobConfig, "instances", "show", JAIL, "-o", "json").json().path("state").asText());

        Run snapshot = cli(bobConfig, "instances", "snapshot", JAIL, "before-resize", "--wait", "--timeout", "60");
        assertEquals(0, snapshot.exitCode(), snapshot.toString());
        Run snapshots = cli(bobConfig, "instances", "snapshots", JAIL, "-o", "json");
        assertEquals(0, snapshots.exitCode(), snapshots.toString());
        assertThat(snapshots.json().findValuesAsText("name")).contains("before-resize");

        Run resized = cli(bobConfig, "instances", "resize", JAIL, "--memory", "96", "--wait", "--timeout", "60");
        assertEquals(0, resized.exitCode(), resized.toString());
        assertEquals(96, cli(bobConfig, "instances", "show", JAIL, "-o", "json").json().path("memoryMiB").asInt());

        Run rolledBack = cli(bobConfig, "instances", "rollback", JAIL, "before-resize", "--wait", "--timeout", "60");
        assertEquals(0, rolledBack.exitCode(), rolledBack.toString());
        Run started = cli(bobConfig, "instances", "start", JAIL, "--wait", "--timeout", "60");
        assertEquals(0, started.exitCode(), started.toString());
        assertEquals("running", cli(bobConfig, "instances", "show", JAIL, "-o", "json").json().path("state").asText());

        Path keys = Files.createTempDirectory("cli-key");
        try {
            Path key = keys.resolve("id_ed25519");
            Process keygen = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "cli-test", "-f",
                    key.toString()).redirectErrorStream(true).start();
            assertEquals(0, keygen.waitFor(), new String(keygen.getInputStream().readAllBytes()));
            String name = "cli-key-" + SUFFIX;
            Run added = cli(bobConfig, "ssh-keys", "add", name, key + ".pub");
            assertEquals(0, added.exitCode(), added.toString());
            assertThat(cli(bobConfig, "ssh-keys", "list", "-o", "json").json().findValuesAsText("name")).contains(name);
            Run again = cli(bobConfig, "ssh-keys", "add", "not a name!", key + ".pub");
            assertThat(again.exitCode()).as(again.toString()).isNotZero();
            Run removed = cli(bobConfig, "ssh-keys", "remove", name);
            assertEquals(0, removed.exitCode(), removed.toString());
            assertThat(cli(bobConfig, "ssh-keys", "list", "-o", "json").json().findValuesAsText("name"))
                    .doesNotContain(name);
        } finally {
            JailHost.deleteTree(keys);
        }
    }

    @Test
    @Order(7)
    void makesAFirewallThatFiltersTheTenantNetworkAppliesItAndTakesItOff() throws Exception {
        String name = "cli-fw-" + SUFFIX;
        Run created = cli(bobConfig, "firewalls", "create", name, "--rule", "tcp:22@10.0.0.0/8", "--rule",
                "icmp@10.0.0.0/8", "--inside", "filtered", "-o", "json");
        assertEquals(0, created.exitCode(), created.toString());
        assertEquals("filtered", created.json().path("inside").asText());
        assertThat(created.json().path("rules").findValuesAsText("protocol")).containsExactly("tcp", "icmp");
        Run bad = cli(bobConfig, "firewalls", "create", name + "-x", "--inside", "closed");
        assertThat(bad.exitCode()).as(bad.toString()).isNotZero();
        assertThat(bad.err()).contains("closed");

        Run applied = cli(bobConfig, "firewalls", "apply", JAIL, name);
        assertEquals(0, applied.exitCode(), applied.toString());
        Run listed = cli(bobConfig, "firewalls", "list");
        assertEquals(0, listed.exitCode(), listed.toString());
        assertThat(listed.out()).contains("INSIDE").contains(name).contains("filtered");
        Run opened = cli(bobConfig, "firewalls", "update", name, "--inside", "open", "-o", "json");
        assertEquals(0, opened.exitCode(), opened.toString());
        assertEquals("open", opened.json().path("inside").asText());
        assertThat(opened.json().path("rules").size()).as("the rules stay").isEqualTo(2);

        Run inUse = cli(bobConfig, "firewalls", "delete", name);
        assertThat(inUse.exitCode()).as("refused while applied: " + inUse).isNotZero();
        assertEquals(0, cli(bobConfig, "firewalls", "apply", JAIL, "--none").exitCode());
        Run deleted = cli(bobConfig, "firewalls", "delete", name);
        assertEquals(0, deleted.exitCode(), deleted.toString());
        assertThat(cli(bobConfig, "firewalls", "list", "-o", "json").json().findValuesAsText("name")).doesNotContain(name);
    }

    @Test
    @Order(7)
    void givesTheJailAPublicAddressAndAForwardAndTakesThemBack() throws Exception {
        String host = Api.as("admin").get("/api/v1/admin/hosts").path("items.find { it.local }.id");
        String net = "198.19." + ThreadLocalRandom.current().nextInt(1, 250);
        String pool = "/api/v1/admin/hosts/" + host + "/addresses";
        Api.as("admin").body(Map.of("addresses", List.of(net + ".8"))).post(pool).then().statusCode(202);
        Api.as("admin").body(Map.of("addresses", List.of(net + ".20"), "shared", true)).post(pool).then().statusCode(202);
        try {
            Run given = cli(bobConfig, "addresses", "add", JAIL, "-o", "json");
            assertEquals(0, given.exitCode(), given.toString());
            assertEquals(net + ".8", given.json().path("address").asText());
            Run twice = cli(bobConfig, "addresses", "add", JAIL);
            assertThat(twice.exitCode()).as("one address per instance: " + twice).isNotZero();
            Run listed = cli(bobConfig, "addresses", "list");
            assertEquals(0, listed.exitCode(), listed.toString());
            assertThat(listed.out()).contains(net + ".8");

            Run forwarded = cli(bobConfig, "forwards", "add", JAIL, "8080", "--target-port", "80", "-o", "json");
            assertEquals(0, forwarded.exitCode(), forwarded.toString());
            assertEquals(net + ".20", forwarded.json().path("address").asText());
            assertEquals(80, forwarded.json().path("targetPort").asInt());
            String forward = forwarded.json().path("id").asText();
            Run taken = cli(bobConfig, "forwards", "add", JAIL, "8080", "--address", net + ".20");
            assertThat(taken.exitCode()).as("the port is taken: " + taken).isNotZero();
            assertThat(taken.err()).contains("8080");
            assertThat(cli(bobConfig, "forwards", "list", "-o", "json").json().findValuesAsText("id")).contains(forward);

            assertEquals(0, cli(bobConfig, "forwards", "remove", forward).exitCode());
            assertEquals(0, cli(bobConfig, "addresses", "release", net + ".8").exitCode());
            assertThat(cli(bobConfig, "forwards", "list", "-o", "json").json().findValuesAsText("id")).doesNotContain(forward);
            assertThat(cli(bobConfig, "addresses", "list", "-o", "json").json().findValuesAsText("address"))
                    .doesNotContain(net + ".8");
        } finally {
            Api.as("admin").delete(pool + "/" + net + ".8");
            Api.as("admin").delete(pool + "/" + net + ".20");
        }
    }

    @Test
    @Order(7)
    void anApiTokenMadeByTheCliLogsInUntilItIsRevoked() throws Exception {
        Run alice = typing("alice\n", aliceConfig, "login", "--username", "alice", "--password-stdin",
                "--issuer", TestKeycloak.url() + "/realms/multiplicity");
        assertEquals(0, alice.exitCode(), alice.toString());
        Run created = cli(aliceConfig, "tokens", "create", "cli-" + SUFFIX, "--role", "tenant-viewer");
        assertEquals(0, created.exitCode(), created.toString());
        String secret = created.out().strip();
        assertThat(secret).startsWith("mpt_");

        Run login = typing(secret + "\n", tokenConfig, "login", "--token", "-");
        assertEquals(0, login.exitCode(), login.toString());
        Run listed = cli(tokenConfig, "instances", "list", "-o", "json");
        assertEquals(0, listed.exitCode(), listed.toString());
        assertThat(listed.json().findValuesAsText("name")).contains(JAIL);
        Run refused = cli(tokenConfig, "instances", "stop", JAIL);
        assertEquals(4, refused.exitCode(), "a viewer's token may not stop: " + refused);

        Run revoked = cli(aliceConfig, "tokens", "revoke", "cli-" + SUFFIX);
        assertEquals(0, revoked.exitCode(), revoked.toString());
        Run after = cli(tokenConfig, "instances", "list");
        assertEquals(4, after.exitCode(), after.toString());
    }

    @Test
    @Order(8)
    void deletesTheJailWithWaitAndLogsOut() throws Exception {
        Run deleted = cli(bobConfig, "instances", "delete", JAIL, "--wait");
        assertEquals(0, deleted.exitCode(), deleted.toString());
        assertThat(deleted.err()).contains("instance.delete succeeded 100%");
        Api.as("bob").get("/api/v1/instances").then().statusCode(200);
        assertThat(cli(bobConfig, "instances", "list", "-o", "json").json().findValuesAsText("name")).doesNotContain(JAIL);

        Run logout = cli(bobConfig, "logout");
        assertEquals(0, logout.exitCode(), logout.toString());
        assertEquals(4, cli(bobConfig, "whoami").exitCode());
    }
}

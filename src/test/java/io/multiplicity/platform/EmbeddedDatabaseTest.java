package io.multiplicity.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The single-node install's PostgreSQL runs as a production database: durable commits, loopback
 * only, passwords only (generated at the first start, kept mode 0600), also for an install that
 * began without one.
 */
class EmbeddedDatabaseTest {

    Path dataDir;
    int port;

    @BeforeEach
    void chooseAPlace() throws IOException {
        dataDir = Files.createTempDirectory(Path.of("target"), "embedded-db").toAbsolutePath();
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        System.setProperty("multiplicity.data-dir", dataDir.toString());
        System.setProperty("multiplicity.database.port", Integer.toString(port));
    }

    @AfterEach
    void cleanUp() throws IOException {
        EmbeddedDatabase.stop();
        for (String property : List.of("multiplicity.data-dir", "multiplicity.database.port",
                "quarkus.datasource.jdbc.url", "quarkus.datasource.username", "quarkus.datasource.password")) {
            System.clearProperty(property);
        }
        try (var paths = Files.walk(dataDir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }

    /** A new start of the platform: it finds no database configured but its own. */
    private static void restart() {
        EmbeddedDatabase.stop();
        System.clearProperty("quarkus.datasource.jdbc.url");
        EmbeddedDatabase.startIfNeeded();
    }

    private String url() {
        return "jdbc:postgresql://localhost:" + port + "/postgres";
    }

    private String setting(Connection connection, String name) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery("show " + name)) {
            rows.next();
            return rows.getString(1);
        }
    }

    @Test
    void itIsDurableListensOnLoopbackAndTakesItsPasswordOnly() throws Exception {
        EmbeddedDatabase.startIfNeeded();
        Path passwordFile = dataDir.resolve(EmbeddedDatabase.PASSWORD_FILE);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(passwordFile)));
        String password = Files.readString(passwordFile).strip();
        assertThat(password).matches("[A-Za-z0-9]{32}");
        assertEquals(password, System.getProperty("quarkus.datasource.password"), "the application is given it");

        try (Connection connection = DriverManager.getConnection(url(), "postgres", password)) {
            assertEquals("on", setting(connection, "fsync"));
            assertEquals("on", setting(connection, "synchronous_commit"));
            assertEquals("on", setting(connection, "full_page_writes"));
            assertEquals("localhost", setting(connection, "listen_addresses"));
        }
        assertThatThrownBy(() -> DriverManager.getConnection(url(), "postgres", "postgres").close())
                .as("the old well-known password").isInstanceOf(SQLException.class);
        assertThatThrownBy(() -> DriverManager.getConnection(url(), "postgres", "").close())
                .as("no password").isInstanceOf(SQLException.class);

        // it starts again with the same password
        restart();
        try (Connection connection = DriverManager.getConnection(url(), "postgres", password)) {
            assertEquals("on", setting(connection, "fsync"));
        }
    }

    @Test
    void anInstallThatBeganWithTrustGetsAPasswordAtItsNextStart() throws Exception {
        EmbeddedDatabase.startIfNeeded();
        EmbeddedDatabase.stop();
        System.clearProperty("quarkus.datasource.jdbc.url");
        // as it was: trust on loopback, no password file
        Files.writeString(dataDir.resolve("postgres").resolve("pg_hba.conf"),
                "local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n");
        Files.delete(dataDir.resolve(EmbeddedDatabase.PASSWORD_FILE));

        EmbeddedDatabase.startIfNeeded();
        String password = Files.readString(dataDir.resolve(EmbeddedDatabase.PASSWORD_FILE)).strip();
        try (Connection connection = DriverManager.getConnection(url(), "postgres", password)) {
            assertEquals("on", setting(connection, "synchronous_commit"));
        }
        assertThatThrownBy(() -> DriverManager.getConnection(url(), "postgres", "").close())
                .isInstanceOf(SQLException.class);
    }
}

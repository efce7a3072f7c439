package io.multiplicity.platform;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jboss.logging.Logger;

/**
 * The single-node install's PostgreSQL: a real PostgreSQL server from the embedded binaries, with
 * its data under {@code <data dir>/postgres}, started before the application when no external
 * database is configured ({@code QUARKUS_DATASOURCE_JDBC_URL} or {@code quarkus.datasource.jdbc.url}).
 *
 * <p>It is the platform's only source of truth, so it runs as a production database does, not with
 * the embedded library's test defaults: every commit is durable ({@code fsync},
 * {@code synchronous_commit}, {@code full_page_writes} on), it listens on the loopback interface
 * only, and it takes passwords only ({@code scram-sha-256}, for its socket too). The password is
 * generated at the first start and kept in {@code <data dir>/postgres-password}, mode 0600. An
 * install from before passwords gets one at its next start, over the trust it had until then.
 */
public final class EmbeddedDatabase {

    private static final Logger LOG = Logger.getLogger(EmbeddedDatabase.class);
    private static EmbeddedPostgres server;

    private EmbeddedDatabase() {
    }

    public static synchronized void startIfNeeded() {
        if (server != null || configured("quarkus.datasource.jdbc.url")
                || "false".equals(setting("multiplicity.database.embedded", "true"))) {
            return;
        }
        Path dataDir = Path.of(setting("multiplicity.data-dir", "data")).toAbsolutePath();
        Path directory = dataDir.resolve("postgres");
        int port = Integer.parseInt(setting("multiplicity.database.port", "5433"));
        try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new java.net.InetSocketAddress("127.0.0.1", port));
        } catch (IOException e) {
            throw new IllegalStateException("port " + port + " is in use, so the embedded PostgreSQL cannot listen on it;"
                    + " stop what uses it or choose another port with MULTIPLICITY_DATABASE_PORT", e);
        }
        String password;
        try {
            Files.createDirectories(directory);
            password = password(dataDir.resolve(PASSWORD_FILE));
            if (!secured(directory)) {
                // First start (initdb leaves trust), or an install from before passwords: the password
                // is set over that trust once, then only passwords are taken.
                try (EmbeddedPostgres trusting = builder(directory, port).start();
                     java.sql.Connection connection = trusting.getPostgresDatabase().getConnection();
                     java.sql.Statement statement = connection.createStatement()) {
                    statement.execute("alter role postgres password '" + password + "'");
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException("could not set the embedded PostgreSQL's password", e);
                }
                Path hba = directory.resolve("pg_hba.conf");
                Files.writeString(hba, HBA);
                Files.setPosixFilePermissions(hba, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
                LOG.infof("the embedded PostgreSQL takes passwords only now (kept in %s)", dataDir.resolve(PASSWORD_FILE));
            }
            server = builder(directory, port).setConnectConfig("password", password).start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the embedded PostgreSQL in " + directory, e);
        }
        String url = "jdbc:postgresql://localhost:" + port + "/postgres";
        System.setProperty("quarkus.datasource.jdbc.url", url);
        System.setProperty("quarkus.datasource.username", "postgres");
        System.setProperty("quarkus.datasource.password", password);
        LOG.infof("embedded PostgreSQL listening on port %d, data in %s", port, directory);
        Runtime.getRuntime().addShutdownHook(new Thread(EmbeddedDatabase::stop, "embedded-postgres-stop"));
    }

    static final String PASSWORD_FILE = "postgres-password";
    private static final String HBA_MARKER = "# multiplicity: passwords only";
    private static final String HBA = HBA_MARKER + "\n"
            + "# TYPE  DATABASE  USER  ADDRESS       METHOD\n"
            + "local   all       all                 scram-sha-256\n"
            + "host    all       all   127.0.0.1/32  scram-sha-256\n"
            + "host    all       all   ::1/128       scram-sha-256\n";

    /** The server as the platform runs it: durable, on loopback only. */
    static EmbeddedPostgres.Builder builder(Path directory, int port) {
        return EmbeddedPostgres.builder()
                .setDataDirectory(directory)
                .setCleanDataDirectory(false)
                .setPort(port)
                .setServerConfig("max_connections", "200")
                .setServerConfig("listen_addresses", "localhost")
                .setServerConfig("fsync", "on")
                .setServerConfig("synchronous_commit", "on")
                .setServerConfig("full_page_writes", "on")
                .setServerConfig("password_encryption", "scram-sha-256");
    }

    /** Whether the data directory takes passwords only (its pg_hba.conf is ours). */
    static boolean secured(Path directory) throws IOException {
        Path hba = directory.resolve("pg_hba.conf");
        return Files.exists(hba) && Files.readString(hba).startsWith(HBA_MARKER);
    }

    /** The password in {@code file}, made (32 random letters and digits, mode 0600) when there is none. */
    static String password(Path file) throws IOException {
        if (Files.exists(file)) {
            String kept = Files.readString(file).strip();
            if (!kept.matches("[A-Za-z0-9]{16,128}")) {
                throw new IllegalStateException(file + " does not hold a password of the embedded PostgreSQL");
            }
            return kept;
        }
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        java.security.SecureRandom random = new java.security.SecureRandom();
        StringBuilder password = new StringBuilder();
        for (int i = 0; i < 32; i++) {
            password.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        Files.createDirectories(file.getParent());
        Path written = Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        Files.writeString(written, password + "\n");
        return password.toString();
    }

    public static synchronized void stop() {
        if (server != null) {
            try {
                server.close();
            } catch (IOException e) {
                LOG.warn("embedded PostgreSQL did not stop cleanly", e);
            }
            server = null;
        }
    }

    private static boolean configured(String property) {
        return System.getProperty(property) != null || System.getenv(envName(property)) != null;
    }

    private static String setting(String property, String fallback) {
        String value = System.getProperty(property);
        if (value == null) {
            value = System.getenv(envName(property));
        }
        return value == null ? fallback : value;
    }

    static String envName(String property) {
        return property.toUpperCase().replaceAll("[^A-Z0-9]", "_");
    }

}

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
        try {
            Files.createDirectories(directory);
            server = EmbeddedPostgres.builder()
                    .setDataDirectory(directory)
                    .setCleanDataDirectory(false)
                    .setPort(port)
                    .setServerConfig("max_connections", "200")
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the embedded PostgreSQL in " + directory, e);
        }
        String url = "jdbc:postgresql://localhost:" + port + "/postgres";
        System.setProperty("quarkus.datasource.jdbc.url", url);
        System.setProperty("quarkus.datasource.username", "postgres");
        System.setProperty("quarkus.datasource.password", "postgres");
        LOG.infof("embedded PostgreSQL listening on port %d, data in %s", port, directory);
        Runtime.getRuntime().addShutdownHook(new Thread(EmbeddedDatabase::stop, "embedded-postgres-stop"));
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

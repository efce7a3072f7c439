package io.multiplicity.support;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.util.Map;

/**
 * A real PostgreSQL for the tests, started from the embedded binaries on a free port. With
 * {@code -Dmultiplicity.bench.database=durable} it runs with the durability the platform's own
 * embedded database has (fsync, synchronous commit, full-page writes), for benchmarks that
 * compare both. With {@code -Dmultiplicity.bench.diagnose=true} it also loads pg_stat_statements, for
 * benchmarks that report where their statements spend their time.
 */
public class PostgresTestResource implements QuarkusTestResourceLifecycleManager {

    private static EmbeddedPostgres server;

    public static synchronized EmbeddedPostgres server() throws IOException {
        if (server == null) {
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder().setServerConfig("max_connections", "300");
            if ("durable".equals(System.getProperty("multiplicity.bench.database"))) {
                builder.setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on")
                        .setServerConfig("full_page_writes", "on");
            }
            if (Boolean.getBoolean("multiplicity.bench.diagnose")) {
                // where a benchmark's statements spend their time (pg_stat_statements, triggers' included)
                builder.setServerConfig("shared_preload_libraries", "pg_stat_statements")
                        .setServerConfig("pg_stat_statements.track", "all")
                        .setServerConfig("track_io_timing", "on");
            }
            server = builder.start();
        }
        return server;
    }

    @Override
    public Map<String, String> start() {
        try {
            int port = server().getPort();
            return Map.of(
                    "quarkus.datasource.jdbc.url", "jdbc:postgresql://localhost:" + port + "/postgres",
                    "quarkus.datasource.username", "postgres",
                    "quarkus.datasource.password", "postgres");
        } catch (IOException e) {
            throw new IllegalStateException("could not start PostgreSQL for the tests", e);
        }
    }

    @Override
    public void stop() {
        // The server lives for the whole test JVM: several applications (test profiles) share it.
    }
}

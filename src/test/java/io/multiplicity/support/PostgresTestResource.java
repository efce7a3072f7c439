package io.multiplicity.support;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.util.Map;

/**
 * A real PostgreSQL for the tests, started from the embedded binaries on a free port. With
 * {@code -Dmultiplicity.bench.database=durable} it runs with the durability the platform's own
 * embedded database has (fsync, synchronous commit, full-page writes), for benchmarks that
 * compare both.
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

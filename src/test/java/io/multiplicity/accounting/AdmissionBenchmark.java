package io.multiplicity.accounting;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.multiplicity.support.TestKeycloak;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Admissions per second through the API, sustained, with 1,000 tenants and 100,000 instances in the
 * database: concurrent creates for random tenants, each checked against its tenant's quota and the
 * host's capacity under row locks (the tenant's, the host's admission row) and recorded with its
 * allocation period. All 100,000 instances are on the one host, so every create takes that host's
 * lock: the figure is what one host admits. Run by bench/admission.
 */
@QuarkusTest
@TestProfile(BenchmarkProfile.class)
@EnabledIfSystemProperty(named = "multiplicity.bench", matches = "true")
class AdmissionBenchmark {

    static final int TENANTS = 1_000;
    static final int INSTANCES_PER_TENANT = 100;
    static final int CLIENTS = 8;
    /**
     * Long enough for the JIT to have compiled the request's path: with 10 s, a third of the
     * measured CPU went to compiling, not to admissions (a server that has run for a minute is past it).
     */
    static final Duration WARM_UP = Duration.ofSeconds(Long.getLong("multiplicity.bench.warm-up-seconds", 60));
    static final Duration MEASURED = Duration.ofSeconds(30);

    @Inject
    EntityManager em;

    @Inject
    io.agroal.api.AgroalDataSource dataSource;

    @TestHTTPResource("/")
    URL base;

    @Test
    void admissionsPerSecond() throws Exception {
        long seeding = System.nanoTime();
        QuarkusTransaction.requiringNew().run(this::seed);
        vacuum();
        double seedSeconds = (System.nanoTime() - seeding) / 1e9;
        long instances = QuarkusTransaction.requiringNew().call(() -> ((Number) em.createNativeQuery(
                "select count(*) from instances").getSingleResult()).longValue());

        // what admission reads under the host's lock: its row of host_allocations, kept by a trigger
        double hostRowMillis = QuarkusTransaction.requiringNew().call(() -> {
            long started = System.nanoTime();
            for (int i = 0; i < 10; i++) {
                em.createNativeQuery("select vcpus, memory_mib, disk_gib from host_allocations where host_id ="
                        + " (select id from hosts where name = 'test-host') for no key update").getSingleResult();
            }
            return (System.nanoTime() - started) / 1e7;
        });
        // what admission repeated under the host's lock before that row existed: the sum over its instances
        double hostSumMillis = QuarkusTransaction.requiringNew().call(() -> {
            long started = System.nanoTime();
            for (int i = 0; i < 10; i++) {
                em.createNativeQuery("select sum(case when desired_state = 'running' then vcpus else 0 end),"
                        + " sum(case when desired_state = 'running' then memory_mib else 0 end), sum(disk_gib)"
                        + " from instances where deleted_at is null and host_id = (select id from hosts"
                        + " where name = 'test-host')").getSingleResult();
            }
            return (System.nanoTime() - started) / 1e7;
        });

        // HTTP/1.1: each client on a connection of its own, as separate API clients are (HTTP/2 would
        // multiplex all eight onto one connection, served by one event-loop thread).
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        String token = TestKeycloak.token("admin");
        ObjectMapper json = new ObjectMapper();
        AtomicInteger sequence = new AtomicInteger();
        AtomicLong accepted = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        long warmUpEnd = System.nanoTime() + WARM_UP.toNanos();
        long end = warmUpEnd + MEASURED.toNanos();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            clients.add(Thread.ofPlatform().start(() -> {
                while (System.nanoTime() < end) {
                    int tenant = ThreadLocalRandom.current().nextInt(TENANTS) + 1;
                    try {
                        String body = json.writeValueAsString(Map.of("tenant", "bench-" + tenant, "name",
                                "admitted-" + sequence.incrementAndGet(), "kind", "jail", "image", "busybox",
                                "vcpus", 1, "memoryMiB", 256, "diskGiB", 1, "start", false));
                        HttpRequest request = HttpRequest.newBuilder(URI.create(base.toString()).resolve("/api/v1/instances"))
                                .header("Authorization", "Bearer " + token)
                                .header("Content-Type", "application/json")
                                .timeout(Duration.ofSeconds(60))
                                .POST(HttpRequest.BodyPublishers.ofString(body))
                                .build();
                        long started = System.nanoTime();
                        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                        long finished = System.nanoTime();
                        if (started >= warmUpEnd && finished <= end) {
                            latencies.add(finished - started);
                            if (response.statusCode() == 202) {
                                accepted.incrementAndGet();
                            } else {
                                refused.incrementAndGet();
                            }
                        }
                    } catch (Exception e) {
                        refused.incrementAndGet();
                    }
                }
            }));
        }
        Thread diagnosis = DIAGNOSE ? Thread.ofPlatform().start(() -> diagnose(warmUpEnd, end)) : null;
        for (Thread client : clients) {
            client.join();
        }
        if (diagnosis != null) {
            diagnosis.join();
        }
        // What the creates became: the worker must keep up, not just the API accept them.
        Map<String, Long> atEnd = createOperations();
        long draining = System.nanoTime();
        Map<String, Long> finished = atEnd;
        while ((finished.getOrDefault("pending", 0L) + finished.getOrDefault("running", 0L)) > 0
                && System.nanoTime() - draining < Duration.ofSeconds(120).toNanos()) {
            Thread.sleep(200);
            finished = createOperations();
        }
        double drainSeconds = (System.nanoTime() - draining) / 1e9;
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        double perSecond = accepted.get() / (double) MEASURED.toSeconds();
        double p50 = sorted.isEmpty() ? 0 : sorted.get(sorted.size() / 2) / 1e6;
        double p99 = sorted.isEmpty() ? 0 : sorted.get((int) (sorted.size() * 0.99)) / 1e6;
        new BenchmarkReport("admission", "Admission: concurrent creates through POST /api/v1/instances")
                .row("tenants", TENANTS)
                .row("instances in the database before", instances)
                .row("seeding (s)", String.format("%.1f", seedSeconds))
                .row("concurrent clients", CLIENTS)
                .row("warm-up / measured (s)", WARM_UP.toSeconds() + " / " + MEASURED.toSeconds())
                .row("admitted (202) while measured", accepted.get())
                .row("refused or failed while measured", refused.get())
                .row("admissions per second (sustained)", String.format("%.1f", perSecond))
                .row("latency p50 / p99 (ms)", String.format("%.1f / %.1f", p50, p99))
                .row("creates not yet run when the clients stopped (pending / running)",
                        atEnd.getOrDefault("pending", 0L) + " / " + atEnd.getOrDefault("running", 0L))
                .row("creates run by the worker (succeeded / failed), all done after (s)",
                        finished.getOrDefault("succeeded", 0L) + " / " + finished.getOrDefault("failed", 0L) + ", "
                                + String.format("%.1f", drainSeconds))
                .row("host admission row, locked and read (ms)", String.format("%.2f", hostRowMillis))
                .row("host allocation sum over its instances, one query (ms)", String.format("%.1f", hostSumMillis))
                .row("load average at the end", String.format("%.2f",
                        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()))
                .finish(String.format(java.util.Locale.ROOT,
                        "{\"bench\":\"admission\",\"admissions_per_s\":%.1f,\"tenants\":%d,\"instances\":%d,"
                                + "\"clients\":%d,\"seconds\":%d,\"p50_ms\":%.1f,\"p99_ms\":%.1f,\"refused\":%d}",
                        perSecond, TENANTS, instances, CLIENTS, MEASURED.toSeconds(), p50, p99, refused.get()));
        assertThat(accepted.get()).isPositive();
        assertThat(finished.getOrDefault("failed", 0L)).as("creates that failed").isZero();
        assertThat(finished.getOrDefault("pending", 0L) + finished.getOrDefault("running", 0L))
                .as("creates still unfinished two minutes after the clients stopped").isZero();
    }

    /** The benchmark's create operations by state. */
    private Map<String, Long> createOperations() {
        return QuarkusTransaction.requiringNew().call(() -> {
            Map<String, Long> states = new java.util.TreeMap<>();
            for (Object row : em.createNativeQuery("select state, count(*) from operations"
                    + " where kind = 'instance.create' group by state").getResultList()) {
                Object[] columns = (Object[]) row;
                states.put((String) columns[0], ((Number) columns[1]).longValue());
            }
            return states;
        });
    }

    /** Whether to report where the database's time went (-Dmultiplicity.bench.diagnose=true): costs some CPU. */
    static final boolean DIAGNOSE = Boolean.getBoolean("multiplicity.bench.diagnose");

    /**
     * While measured: what every busy session of the database waits on, sampled every 10 ms (CPU when
     * it waits on nothing), and pg_stat_statements' totals; written to target/bench/admission-diagnosis.txt.
     */
    private void diagnose(long from, long until) {
        Map<String, Integer> waits = new java.util.TreeMap<>();
        Map<String, Integer> lockWaits = new java.util.TreeMap<>();
        Map<String, Integer> blockers = new java.util.TreeMap<>();
        int samples = 0;
        List<String> lines = new ArrayList<>();
        try (java.sql.Connection connection = dataSource.getConnection();
             java.sql.Statement statement = connection.createStatement()) {
            connection.setAutoCommit(true);
            statement.execute("create extension if not exists pg_stat_statements");
            while (System.nanoTime() < from) {
                Thread.sleep(50);
            }
            statement.execute("select pg_stat_statements_reset()");
            while (System.nanoTime() < until) {
                samples++;
                try (java.sql.ResultSet rows = statement.executeQuery("select coalesce(wait_event_type || ':' ||"
                        + " wait_event, 'CPU'), left(regexp_replace(query, '\\s+', ' ', 'g'), 90)"
                        + " from pg_stat_activity where backend_type = 'client backend' and state <> 'idle'"
                        + " and pid <> pg_backend_pid()")) {
                    while (rows.next()) {
                        waits.merge(rows.getString(1), 1, Integer::sum);
                        if (rows.getString(1).startsWith("Lock") || rows.getString(1).startsWith("IO")
                                || rows.getString(1).startsWith("LWLock")) {
                            lockWaits.merge(rows.getString(1) + " | " + rows.getString(2), 1, Integer::sum);
                        }
                    }
                }
                try (java.sql.ResultSet rows = statement.executeQuery("select coalesce(wait_event_type || ':' ||"
                        + " wait_event, 'CPU') || ' ' || state || ' | ' || left(regexp_replace(query, '\\s+', ' ', 'g'),"
                        + " 90) from pg_stat_activity where pid in (select unnest(pg_blocking_pids(pid))"
                        + " from pg_stat_activity where wait_event_type = 'Lock')")) {
                    while (rows.next()) {
                        blockers.merge(rows.getString(1), 1, Integer::sum);
                    }
                }
                Thread.sleep(10);
            }
            double taken = samples;
            lines.add("busy database sessions by what they wait on (" + samples + " samples, 10 ms apart):");
            waits.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                    .forEach(e -> lines.add(String.format("  %6.2f  %s", e.getValue() / taken, e.getKey())));
            lines.add("waits by statement:");
            lockWaits.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(25)
                    .forEach(e -> lines.add(String.format("  %6.2f  %s", e.getValue() / taken, e.getKey())));
            lines.add("what the sessions others wait for do (state | their last statement):");
            blockers.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(25)
                    .forEach(e -> lines.add(String.format("  %6.2f  %s", e.getValue() / taken, e.getKey())));
            lines.add("statements by total time while measured (calls, total ms, mean ms, rows):");
            try (java.sql.ResultSet rows = statement.executeQuery("select calls, total_exec_time, mean_exec_time, rows,"
                    + " left(regexp_replace(query, '\\s+', ' ', 'g'), 160) from pg_stat_statements"
                    + " order by total_exec_time desc limit 40")) {
                while (rows.next()) {
                    lines.add(String.format("  %7d %9.1f %8.3f %8d  %s", rows.getLong(1), rows.getDouble(2),
                            rows.getDouble(3), rows.getLong(4), rows.getString(5)));
                }
            }
            try (java.sql.ResultSet rows = statement.executeQuery("select wal_records, wal_bytes, wal_buffers_full"
                    + " from pg_stat_wal")) {
                while (rows.next()) {
                    lines.add("WAL: " + rows.getLong(1) + " records, " + rows.getLong(2) + " bytes");
                }
            }
            try (java.sql.ResultSet rows = statement.executeQuery("select sum(writes), sum(write_time),"
                    + " sum(fsyncs), sum(fsync_time) from pg_stat_io where object = 'wal'")) {
                while (rows.next()) {
                    lines.add(String.format("WAL I/O (since start): %d writes %.0f ms, %d fsyncs %.0f ms",
                            rows.getLong(1), rows.getDouble(2), rows.getLong(3), rows.getDouble(4)));
                }
            }
            String text = String.join("\n", lines) + "\n";
            System.out.print(text);
            java.nio.file.Files.createDirectories(java.nio.file.Path.of("target", "bench"));
            java.nio.file.Files.writeString(java.nio.file.Path.of("target", "bench", "admission-diagnosis.txt"), text);
        } catch (Exception e) {
            throw new IllegalStateException("the diagnosis failed", e);
        }
    }

    private void seed() {
        em.createNativeQuery("insert into plans (id, name, currency, vcpu_hour, memory_gib_hour, disk_gib_month,"
                + " snapshot_gib_month) values ('00000000-0000-0000-0000-00000000be0c', 'bench', 'EUR', 0.01, 0.005, 0.04,"
                + " 0.02) on conflict do nothing").executeUpdate();
        em.createNativeQuery("insert into tenants (id, slug, display_name, plan_id)"
                + " select gen_random_uuid(), 'bench-' || g, 'Bench ' || g, '00000000-0000-0000-0000-00000000be0c'"
                + " from generate_series(1, ?1) g on conflict do nothing").setParameter(1, TENANTS).executeUpdate();
        em.createNativeQuery("update hosts set cpus = 100000, memory_mib = 1000000000, storage_gib = 1000000000"
                + " where name = 'test-host'").executeUpdate();
        em.createNativeQuery("insert into instances (id, tenant_id, name, kind, image, vcpus, memory_mib, disk_gib,"
                + " desired_state, actual_state, host_id, created_at, updated_at)"
                + " select gen_random_uuid(), t.id, 'seeded-' || g, 'jail', 'busybox', 1 + g % 4, 256 * (1 + g % 8),"
                + "   1 + g % 20, case when g % 3 = 0 then 'running' else 'stopped' end,"
                + "   case when g % 3 = 0 then 'running' else 'stopped' end, h.id, now(), now()"
                + " from tenants t cross join generate_series(1, ?1) g cross join hosts h"
                + " where t.slug like 'bench-%' and h.name = 'test-host'")
                .setParameter(1, INSTANCES_PER_TENANT).executeUpdate();
        em.createNativeQuery("insert into allocation_periods (instance_id, tenant_id, host_id, image, running, vcpus,"
                + " memory_mib, disk_gib, started_at)"
                + " select i.id, i.tenant_id, i.host_id, i.image, i.actual_state = 'running', i.vcpus, i.memory_mib,"
                + "   i.disk_gib, i.created_at from instances i join tenants t on t.id = i.tenant_id"
                + " where t.slug like 'bench-%'").executeUpdate();
    }

    /** Vacuums as autovacuum would have after the bulk insert, so index-only scans see all-visible pages. */
    private void vacuum() throws Exception {
        try (java.sql.Connection connection = dataSource.getConnection();
             java.sql.Statement statement = connection.createStatement()) {
            connection.setAutoCommit(true);
            statement.execute("vacuum analyze");
        }
    }
}

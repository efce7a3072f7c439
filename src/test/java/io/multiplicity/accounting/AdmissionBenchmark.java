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
    static final Duration WARM_UP = Duration.ofSeconds(10);
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

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
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
        for (Thread client : clients) {
            client.join();
        }
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
                .row("host admission row, locked and read (ms)", String.format("%.2f", hostRowMillis))
                .row("host allocation sum over its instances, one query (ms)", String.format("%.1f", hostSumMillis))
                .row("load average at the end", String.format("%.2f",
                        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()))
                .finish(String.format(java.util.Locale.ROOT,
                        "{\"bench\":\"admission\",\"admissions_per_s\":%.1f,\"tenants\":%d,\"instances\":%d,"
                                + "\"clients\":%d,\"seconds\":%d,\"p50_ms\":%.1f,\"p99_ms\":%.1f,\"refused\":%d}",
                        perSecond, TENANTS, instances, CLIENTS, MEASURED.toSeconds(), p50, p99, refused.get()));
        assertThat(accepted.get()).isPositive();
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

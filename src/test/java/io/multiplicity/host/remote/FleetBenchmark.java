package io.multiplicity.host.remote;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.multiplicity.accounting.BenchmarkReport;
import io.multiplicity.agent.remote.AgentCredentials;
import io.multiplicity.agent.remote.AgentServer;
import io.multiplicity.agent.remote.Enrolment;
import io.multiplicity.it.PackagedApplication;
import io.multiplicity.support.PostgresTestResource;
import io.multiplicity.support.TestKeycloak;
import io.vertx.core.Vertx;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The control plane's cost of a fleet: two replicas (the packaged application, each a process of
 * its own, on one real PostgreSQL) and hollow host agents ({@link HollowHost}: the real agent
 * server, protocol, mutual TLS, heartbeats, reconciliation, publication and metering, no runtime
 * behind them) holding 20,000 instances. Measured once with 20 agents and once with 200, each on a
 * database of its own: the replicas' CPU per agent heartbeat while nothing else happens, p50/p99 of
 * {@code GET /api/v1/instances} for a tenant with 1,000 instances, and creates per second through
 * the API (concurrent clients spread over both replicas, each create placed, admitted and run on a
 * hollow host). Run by bench/fleet.
 */
@EnabledIfSystemProperty(named = "multiplicity.bench", matches = "true")
class FleetBenchmark {

    static final int INSTANCES = 20_000;
    static final int BIG_TENANT_INSTANCES = 1_000;
    static final int INSTANCES_PER_TENANT = 100;
    static final int CLIENTS = 8;
    static final Duration IDLE = Duration.ofSeconds(Long.getLong("multiplicity.bench.fleet.idle-seconds", 30));
    /**
     * Creates before the measured ones: long enough for the replicas' JIT to have compiled the create's
     * path (with 10 s, compiling took a third of the measured CPU), as on a panel that has run a while.
     */
    static final Duration WARM_UP = Duration.ofSeconds(Long.getLong("multiplicity.bench.fleet.warm-up-seconds", 60));
    static final Duration MEASURED = Duration.ofSeconds(Long.getLong("multiplicity.bench.fleet.create-seconds", 30));
    static final int LIST_SAMPLES = 200;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What one configuration measured. */
    record Figures(int agents, long instances, double startSeconds, double enrolSeconds, double idleCpuPercent,
                   double heartbeatsPerSecond, double cpuMsPerHeartbeat, double agentCallsPerSecond, double listP50,
                   double listP99, double list500P50, double list500P99, long accepted, double createsPerSecond,
                   double completedPerSecond, long succeeded, long failed, long unfinished, double createP50,
                   double createP99, long driftedBefore, double cpuMsPerCreate, long backlog, double drainSeconds) {
    }

    @Test
    void fleet() throws Exception {
        List<Integer> sizes = new ArrayList<>();
        for (String size : System.getProperty("multiplicity.bench.fleet.agents", "20,200").split(",")) {
            sizes.add(Integer.parseInt(size.strip()));
        }
        List<Figures> all = new ArrayList<>();
        for (int agents : sizes) {
            all.add(measure(agents));
        }
        report(all);
        for (Figures figures : all) {
            assertThat(figures.accepted()).as("creates accepted with %d agents", figures.agents()).isPositive();
            assertThat(figures.unfinished()).as("creates left unfinished with %d agents", figures.agents()).isZero();
            assertThat(figures.driftedBefore()).as("seeded instances the control plane saw differently from their"
                    + " hollow hosts with %d agents", figures.agents()).isZero();
        }
    }

    private Figures measure(int agentCount) throws Exception {
        var postgres = PostgresTestResource.server();
        String database = "fleet_" + agentCount + "_" + Long.toHexString(System.nanoTime() & 0xffffff);
        try (Connection connection = postgres.getPostgresDatabase().getConnection();
             Statement statement = connection.createStatement()) {
            statement.execute("create database " + database);
        }
        DataSource data = postgres.getDatabase("postgres", database);
        String jdbcUrl = "jdbc:postgresql://localhost:" + postgres.getPort() + "/" + database;
        Path work = Files.createDirectories(TestKeycloak.projectRoot().resolve("target/bench/fleet-" + agentCount));
        long starting = System.nanoTime();
        PackagedApplication a = replica(jdbcUrl, work, "replica-a");
        PackagedApplication b = replica(jdbcUrl, work, "replica-b");
        var startingB = java.util.concurrent.CompletableFuture.runAsync(() -> {
            try {
                b.start();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        a.start();
        startingB.join();
        double startSeconds = (System.nanoTime() - starting) / 1e9;
        List<PackagedApplication> replicas = List.of(a, b);
        Vertx vertx = Vertx.vertx();
        List<HollowHost> hosts = new ArrayList<>();
        List<AgentServer> servers = Collections.synchronizedList(new ArrayList<>());
        // HTTP/1.1: each client on connections of its own, as separate API clients are (HTTP/2 would
        // multiplex all of them onto one connection per replica, served by one event-loop thread).
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        try {
            long enrolling = System.nanoTime();
            enrol(agentCount, a, work, vertx, hosts, servers);
            awaitHeartbeats(hosts, 3);
            awaitImage(http, a);
            double enrolSeconds = (System.nanoTime() - enrolling) / 1e9;

            // 20,000 instances: 1,000 of the tenant acme (bob's), the others 100 to each of 190
            // tenants, spread round robin over the hosts, a third of them running, each held by its host.
            get(http, a, "bob", "/api/v1/quota");
            seed(data, hosts);
            long instances = count(data, "select count(*) from instances where deleted_at is null");
            // Two reconciliation passes of both replicas: every seeded instance must look to the
            // control plane as its host holds it.
            Thread.sleep(25_000);
            long drifted = count(data, "select count(*) from instances where deleted_at is null"
                    + " and actual_state not in ('running', 'stopped')");

            // The replicas' CPU while nothing but the fleet's upkeep happens: heartbeats,
            // reconciliation, publication, metering.
            long cpuBefore = cpuTicks(a) + cpuTicks(b);
            long heartbeatsBefore = sum(hosts, true);
            long callsBefore = sum(hosts, false);
            long idleStart = System.nanoTime();
            Thread.sleep(IDLE.toMillis());
            double idleSeconds = (System.nanoTime() - idleStart) / 1e9;
            System.out.printf("idle window: %s to %s%n", java.time.Instant.now().minusMillis((long) (idleSeconds * 1000)),
                    java.time.Instant.now());
            double cpuSeconds = (cpuTicks(a) + cpuTicks(b) - cpuBefore) / 100.0;
            long heartbeats = sum(hosts, true) - heartbeatsBefore;
            long agentCalls = sum(hosts, false) - callsBefore;

            // GET /api/v1/instances of bob, whose tenant has 1,000 instances: the first page, and the largest.
            double[] list = latencies(http, replicas, "/api/v1/instances");
            double[] list500 = latencies(http, replicas, "/api/v1/instances?limit=500");

            Creates creates = creates(http, replicas, data);
            Map<String, Long> outcome = outcomes(data, creates.operations());
            return new Figures(agentCount, instances, startSeconds, enrolSeconds, 100 * cpuSeconds / idleSeconds,
                    heartbeats / idleSeconds, heartbeats == 0 ? 0 : 1000 * cpuSeconds / heartbeats,
                    agentCalls / idleSeconds, list[0], list[1], list500[0], list500[1], creates.accepted(),
                    creates.accepted() / (double) MEASURED.toSeconds(),
                    creates.completedWhileMeasured() / (double) MEASURED.toSeconds(), outcome.get("succeeded"),
                    outcome.get("failed"), outcome.get("unfinished"), creates.p50(), creates.p99(), drifted,
                    creates.completedWhileMeasured() == 0 ? 0
                            : 1000 * creates.cpuSeconds() / creates.completedWhileMeasured(),
                    creates.backlog(), creates.drainSeconds());
        } finally {
            for (PackagedApplication replica : replicas) {
                replica.close();
            }
            for (AgentServer server : servers) {
                server.close();
            }
            vertx.close().toCompletionStage().toCompletableFuture().join();
        }
    }

    private static PackagedApplication replica(String jdbcUrl, Path work, String name) throws Exception {
        Path directory = Files.createDirectories(work.resolve(name));
        Files.deleteIfExists(directory.resolve("app.log"));
        // The platform's own intervals (heartbeats every 5 s, reconciliation every 10 s, metering
        // every minute, leases of 15 s), not the tests' shorter ones.
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("MULTIPLICITY_HOSTS_LOCAL_AGENT", "false");
        settings.put("MULTIPLICITY_OPERATIONS_LEASE", "15s");
        settings.put("MULTIPLICITY_OPERATIONS_HEARTBEAT", "5s");
        settings.put("MULTIPLICITY_NETWORK_POOL", "10.0.0.0/8");
        settings.put("QUARKUS_LOG_CATEGORY__IO_MULTIPLICITY__LEVEL", "WARN");
        if (Boolean.getBoolean("multiplicity.bench.fleet.record")) {
            // where the replicas' CPU goes: a flight recording of each, under target/bench/fleet-<agents>/
            // (-Dmultiplicity.bench.fleet.record-delay=120s starts it later, e.g. with the creates only)
            settings.put("JAVA_TOOL_OPTIONS", "-XX:StartFlightRecording=filename=" + directory.resolve("replica.jfr")
                    + ",settings=profile,dumponexit=true,delay="
                    + System.getProperty("multiplicity.bench.fleet.record-delay", "1s"));
        }
        return new PackagedApplication(jdbcUrl, directory.resolve("app.log"), settings);
    }

    /** Enrols the hollow hosts with replica A, eight at a time, and serves each one's contract. */
    private static void enrol(int count, PackagedApplication panel, Path work, Vertx vertx, List<HollowHost> hosts,
                              List<AgentServer> servers) throws Exception {
        TestKeycloak.token("admin");  // once, before eight threads ask for it
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                HollowHost host = new HollowHost(String.format("hollow-%03d", i));
                hosts.add(host);
                Path directory = Files.createDirectories(work.resolve("agents").resolve(String.format("%03d", i)));
                done.add(pool.submit(() -> {
                    String token = post(panel, "admin", "/api/v1/admin/hosts/enrolment-tokens", "{}").get("token")
                            .toString();
                    int port;
                    try (ServerSocket free = new ServerSocket(0)) {
                        port = free.getLocalPort();
                    }
                    AgentCredentials credentials = new AgentCredentials(directory);
                    var answer = Enrolment.enrol(URI.create(panel.url()), token, host.facts().hostname(),
                            URI.create("https://127.0.0.1:" + port), null, credentials);
                    host.enroll(answer.hostId());
                    AgentServer server = new AgentServer(host, credentials, directory.resolve("imports"), vertx);
                    server.start("127.0.0.1", port);
                    servers.add(server);
                    return null;
                }));
            }
            for (Future<?> future : done) {
                future.get();
            }
        } finally {
            pool.shutdown();
        }
    }

    private static void awaitHeartbeats(List<HollowHost> hosts, long each) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (hosts.stream().anyMatch(host -> host.heartbeats.sum() < each)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("hollow hosts were not asked for their facts " + each + " times in 120 s");
            }
            Thread.sleep(200);
        }
    }

    private static void awaitImage(HttpClient http, PackagedApplication panel) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            if (get(http, panel, "bob", "/api/v1/images?limit=100").contains("\"" + HollowHost.IMAGE + "\"")) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("the hollow hosts' built-in image did not reach the catalog");
    }

    private static void seed(DataSource data, List<HollowHost> hosts) throws Exception {
        UUID[] ids = hosts.stream().map(HollowHost::hostId).toArray(UUID[]::new);
        int tenants = (INSTANCES - BIG_TENANT_INSTANCES) / INSTANCES_PER_TENANT;
        try (Connection connection = data.getConnection()) {
            connection.setAutoCommit(false);
            try (Statement statement = connection.createStatement()) {
                statement.execute("insert into plans (id, name, currency) values"
                        + " ('00000000-0000-0000-0000-00000000f1ee', 'fleet-bench', 'EUR') on conflict do nothing");
                statement.execute("insert into tenants (id, slug, display_name, plan_id) select gen_random_uuid(),"
                        + " 'fleet-' || g, 'Fleet ' || g, '00000000-0000-0000-0000-00000000f1ee'"
                        + " from generate_series(1, " + tenants + ") g on conflict do nothing");
                statement.execute("update tenants set plan_id = '00000000-0000-0000-0000-00000000f1ee' where slug = 'acme'");
            }
            try (PreparedStatement insert = connection.prepareStatement("insert into instances (id, tenant_id, name,"
                    + " kind, image, vcpus, memory_mib, disk_gib, desired_state, actual_state, host_id, created_at, updated_at)"
                    + " select gen_random_uuid(), t.id, 'seeded-' || g, 'jail', 'busybox', 1 + g % 4, 256 * (1 + g % 8),"
                    + "   1 + g % 20, case when g % 3 = 0 then 'running' else 'stopped' end,"
                    + "   case when g % 3 = 0 then 'running' else 'stopped' end,"
                    + "   (?::uuid[])[1 + (abs(hashtext(t.slug)) + g) % ?], now(), now()"
                    + " from tenants t cross join generate_series(1, ?) g where t.slug = ?")) {
                java.sql.Array hostArray = connection.createArrayOf("uuid", ids);
                insert.setArray(1, hostArray);
                insert.setInt(2, ids.length);
                insert.setInt(3, BIG_TENANT_INSTANCES);
                insert.setString(4, "acme");
                insert.executeUpdate();
                for (int t = 1; t <= tenants; t++) {
                    insert.setInt(3, INSTANCES_PER_TENANT);
                    insert.setString(4, "fleet-" + t);
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            try (Statement statement = connection.createStatement()) {
                statement.execute("insert into allocation_periods (instance_id, tenant_id, host_id, image, running,"
                        + " vcpus, memory_mib, disk_gib, started_at) select i.id, i.tenant_id, i.host_id, i.image,"
                        + " i.actual_state = 'running', i.vcpus, i.memory_mib, i.disk_gib, i.created_at from instances i"
                        + " where i.name like 'seeded-%'");
            }
            Map<UUID, HollowHost> byId = new java.util.HashMap<>();
            hosts.forEach(host -> byId.put(host.hostId(), host));
            try (Statement statement = connection.createStatement();
                 ResultSet rows = statement.executeQuery("select id, host_id, actual_state from instances"
                         + " where name like 'seeded-%'")) {
                while (rows.next()) {
                    byId.get(rows.getObject(2, UUID.class)).holds(rows.getObject(1, UUID.class),
                            "running".equals(rows.getString(3)));
                }
            }
            connection.commit();
        }
        try (Connection connection = data.getConnection(); Statement statement = connection.createStatement()) {
            connection.setAutoCommit(true);
            statement.execute("vacuum analyze");
        }
    }

    /**
     * @param completedWhileMeasured creates (any, warm-up ones included) that ran to running while measured:
     *                               what the platform sustains, whatever it accepts
     * @param cpuSeconds             the replicas' CPU while measured
     * @param backlog                creates accepted and not yet ended when the clients stopped
     * @param drainSeconds           from then until every create had ended
     */
    private record Creates(long accepted, List<String> operations, double p50, double p99, long completedWhileMeasured,
                           double cpuSeconds, long backlog, double drainSeconds) {
    }

    /** Concurrent creates for random tenants, spread over both replicas as a load balancer would. */
    private static Creates creates(HttpClient http, List<PackagedApplication> replicas, DataSource data)
            throws Exception {
        int tenants = (INSTANCES - BIG_TENANT_INSTANCES) / INSTANCES_PER_TENANT;
        String token = TestKeycloak.token("admin");
        AtomicInteger sequence = new AtomicInteger();
        AtomicLong accepted = new AtomicLong();
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        List<String> operations = Collections.synchronizedList(new ArrayList<>());
        List<String> refusals = Collections.synchronizedList(new ArrayList<>());
        long start = System.nanoTime();
        long warmUpEnd = start + WARM_UP.toNanos();
        long end = warmUpEnd + MEASURED.toNanos();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            clients.add(Thread.ofPlatform().start(() -> {
                while (System.nanoTime() < end) {
                    int n = sequence.incrementAndGet();
                    String body = String.format("{\"tenant\":\"fleet-%d\",\"name\":\"created-%d\",\"kind\":\"jail\","
                                    + "\"image\":\"busybox\",\"vcpus\":1,\"memoryMiB\":256,\"diskGiB\":1,\"start\":true}",
                            ThreadLocalRandom.current().nextInt(tenants) + 1, n);
                    PackagedApplication replica = replicas.get(n % replicas.size());
                    HttpRequest request = HttpRequest.newBuilder(URI.create(replica.url() + "/api/v1/instances"))
                            .header("Authorization", "Bearer " + token)
                            .header("Content-Type", "application/json")
                            .timeout(Duration.ofSeconds(60))
                            .POST(HttpRequest.BodyPublishers.ofString(body))
                            .build();
                    try {
                        long started = System.nanoTime();
                        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                        long finished = System.nanoTime();
                        if (started >= warmUpEnd && finished <= end) {
                            latencies.add(finished - started);
                            if (response.statusCode() == 202) {
                                accepted.incrementAndGet();
                                operations.add(JSON.readTree(response.body()).path("id").asText());
                            } else if (refusals.size() < 5) {
                                refusals.add(response.statusCode() + " " + response.body());
                            }
                        }
                    } catch (Exception e) {
                        // counted as not accepted
                    }
                }
            }));
        }
        // the replicas' CPU and the creates completed while measured
        long[] cpuFrom = new long[1];
        long[][] machineFrom = new long[1][];
        long[][] databaseFrom = new long[1][];
        Map<String, Long> tablesFrom = new java.util.concurrent.ConcurrentHashMap<>();
        long[] benchFrom = new long[1];
        java.time.Instant[] window = new java.time.Instant[2];
        Thread sampler = Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(Math.max(0, (warmUpEnd - System.nanoTime()) / 1_000_000));
                cpuFrom[0] = cpuTicks(replicas.get(0)) + cpuTicks(replicas.get(1));
                machineFrom[0] = machineTicks();
                databaseFrom[0] = databaseWork(data);
                tablesFrom.putAll(tableReads(data));
                benchFrom[0] = ownTicks();
                window[0] = java.time.Instant.now();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        for (Thread client : clients) {
            client.join();
        }
        sampler.join();
        window[1] = java.time.Instant.now();
        double cpuSeconds = (cpuTicks(replicas.get(0)) + cpuTicks(replicas.get(1)) - cpuFrom[0]) / 100.0;
        long[] machineTo = machineTicks();
        long[] databaseTo = databaseWork(data);
        Map<String, Long> tablesTo = tableReads(data);
        System.out.printf("creates measured: %s to %s%n", window[0], window[1]);
        double benchSeconds = (ownTicks() - benchFrom[0]) / 100.0;
        double machineBusy = 100.0 * (machineTo[0] - machineFrom[0][0]) / Math.max(1, machineTo[1] - machineFrom[0][1]);
        long completedWhileMeasured = count(data, "select count(*) from operations where kind = 'instance.create'"
                + " and state = 'succeeded' and finished_at >= '" + window[0] + "' and finished_at < '" + window[1] + "'");
        long backlog = count(data, "select count(*) from operations where kind = 'instance.create'"
                + " and state in ('pending', 'running')");
        // where the rest of the machine went: PostgreSQL, and this process's hollow agents and clients
        System.out.printf(Locale.ROOT, "while measured: the machine busy %.1f%% of all cores; replicas %.1f s,"
                + " hollow agents and clients %.1f s of CPU%n", machineBusy, cpuSeconds, benchSeconds);
        if (completedWhileMeasured > 0) {
            System.out.printf(Locale.ROOT, "while measured, per create run to running: %.1f commits, %.1f rows"
                    + " inserted, %.1f updated, %.1f deleted, %.1f read%n",
                    (databaseTo[0] - databaseFrom[0][0]) / (double) completedWhileMeasured,
                    (databaseTo[1] - databaseFrom[0][1]) / (double) completedWhileMeasured,
                    (databaseTo[2] - databaseFrom[0][2]) / (double) completedWhileMeasured,
                    (databaseTo[3] - databaseFrom[0][3]) / (double) completedWhileMeasured,
                    (databaseTo[4] - databaseFrom[0][4]) / (double) completedWhileMeasured);
            StringBuilder most = new StringBuilder();
            tablesTo.entrySet().stream()
                    .map(e -> Map.entry(e.getKey(), e.getValue() - tablesFrom.getOrDefault(e.getKey(), 0L)))
                    .sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(6)
                    .forEach(e -> most.append(String.format(Locale.ROOT, " %s %.1f,", e.getKey(),
                            e.getValue() / (double) completedWhileMeasured)));
            System.out.println("rows read per create, by table (index fetches and sequential reads):" + most);
        }
        if (!refusals.isEmpty()) {
            System.out.println("creates refused, the first of them: " + refusals);
        }
        // every create runs to its end (or 10 minutes pass)
        long draining = System.nanoTime();
        long deadline = draining + Duration.ofMinutes(10).toNanos();
        List<String> mine = List.copyOf(operations);
        while (System.nanoTime() < deadline && count(data, "select count(*) from operations"
                + " where kind = 'instance.create' and state in ('pending', 'running')") > 0) {
            Thread.sleep(500);
        }
        double drainSeconds = (System.nanoTime() - draining) / 1e9;
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        return new Creates(accepted.get(), mine, percentile(sorted, 0.5), percentile(sorted, 0.99),
                completedWhileMeasured, cpuSeconds, backlog, drainSeconds);
    }

    private static Map<String, Long> outcomes(DataSource data, List<String> operations) throws Exception {
        Map<String, Long> outcome = new LinkedHashMap<>(Map.of("succeeded", 0L, "failed", 0L, "unfinished", 0L));
        try (Connection connection = data.getConnection();
             PreparedStatement statement = connection.prepareStatement("select state, count(*) from operations"
                     + " where id = any(?::uuid[]) group by state")) {
            statement.setArray(1, connection.createArrayOf("uuid", operations.stream().map(UUID::fromString).toArray()));
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    String state = rows.getString(1);
                    String key = switch (state) {
                        case "succeeded" -> "succeeded";
                        case "failed", "cancelled" -> "failed";
                        default -> "unfinished";
                    };
                    outcome.merge(key, rows.getLong(2), Long::sum);
                }
            }
        }
        return outcome;
    }

    /** p50 and p99 (ms) of {@value #LIST_SAMPLES} GETs by bob, one after the other, alternating replicas. */
    private static double[] latencies(HttpClient http, List<PackagedApplication> replicas, String path) throws Exception {
        String token = TestKeycloak.token("bob");
        List<Long> samples = new ArrayList<>();
        for (int i = -20; i < LIST_SAMPLES; i++) {
            HttpRequest request = HttpRequest.newBuilder(URI.create(replicas.get(Math.floorMod(i, 2)).url() + path))
                    .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(60)).GET().build();
            long started = System.nanoTime();
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            long took = System.nanoTime() - started;
            if (response.statusCode() != 200) {
                throw new AssertionError("GET " + path + ": " + response.statusCode() + " " + response.body());
            }
            if (i >= 0) {
                samples.add(took);
            }
        }
        Collections.sort(samples);
        return new double[] {percentile(samples, 0.5), percentile(samples, 0.99)};
    }

    private static double percentile(List<Long> sorted, double at) {
        return sorted.isEmpty() ? 0 : sorted.get(Math.min(sorted.size() - 1, (int) (sorted.size() * at))) / 1e6;
    }

    /** The process's user and system CPU time so far, in clock ticks (1/100 s). */
    private static long cpuTicks(PackagedApplication replica) throws Exception {
        String stat = Files.readString(Path.of("/proc", Long.toString(replica.pid()), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    /** The database's commits and rows inserted, updated, deleted and read (fetched) so far. */
    private static long[] databaseWork(DataSource data) throws Exception {
        try (Connection connection = data.getConnection(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("select xact_commit, tup_inserted, tup_updated, tup_deleted,"
                     + " tup_fetched from pg_stat_database where datname = current_database()")) {
            rows.next();
            return new long[] {rows.getLong(1), rows.getLong(2), rows.getLong(3), rows.getLong(4), rows.getLong(5)};
        }
    }

    /** Rows each table gave so far: fetched through indexes and read by sequential scans. */
    private static Map<String, Long> tableReads(DataSource data) throws Exception {
        Map<String, Long> reads = new LinkedHashMap<>();
        try (Connection connection = data.getConnection(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("select relname, coalesce(idx_tup_fetch, 0) + seq_tup_read"
                     + " from pg_stat_user_tables")) {
            while (rows.next()) {
                reads.put(rows.getString(1), rows.getLong(2));
            }
        }
        return reads;
    }

    /** This process's user and system CPU time so far, in clock ticks. */
    private static long ownTicks() throws Exception {
        String stat = Files.readString(Path.of("/proc/self/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    /** The machine's busy and total clock ticks so far, over all cores (idle and I/O wait are not busy). */
    private static long[] machineTicks() throws Exception {
        String[] fields = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long total = 0;
        for (int i = 1; i < fields.length; i++) {
            total += Long.parseLong(fields[i]);
        }
        long idle = Long.parseLong(fields[4]) + Long.parseLong(fields[5]);
        return new long[] {total - idle, total};
    }

    private static long sum(List<HollowHost> hosts, boolean heartbeatsOnly) {
        return hosts.stream().mapToLong(host -> heartbeatsOnly ? host.heartbeats.sum() : host.calls.sum()).sum();
    }

    private static long count(DataSource data, String query) throws Exception {
        try (Connection connection = data.getConnection(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(query)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private static String get(HttpClient http, PackagedApplication panel, String user, String path) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(panel.url() + path))
                .header("Authorization", "Bearer " + TestKeycloak.token(user)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new AssertionError("GET " + path + ": " + response.statusCode() + " " + response.body());
        }
        return response.body();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> post(PackagedApplication panel, String user, String path, String body)
            throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(panel.url() + path))
                .header("Authorization", "Bearer " + TestKeycloak.token(user))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            throw new AssertionError("POST " + path + ": " + response.statusCode() + " " + response.body());
        }
        return JSON.readValue(response.body(), Map.class);
    }

    private static void report(List<Figures> all) {
        BenchmarkReport report = new BenchmarkReport("fleet", "Fleet: two control-plane replicas and hollow host agents");
        row(report, all, "host agents (hollow)", f -> Integer.toString(f.agents()));
        row(report, all, "instances in the database", f -> Long.toString(f.instances()));
        row(report, all, "replicas' start, both (s)", f -> fmt(f.startSeconds()));
        row(report, all, "enrolment of every agent (s)", f -> fmt(f.enrolSeconds()));
        row(report, all, "seeded instances seen other than held", f -> Long.toString(f.driftedBefore()));
        row(report, all, "idle: replicas' CPU, both (% of one core)", f -> fmt(f.idleCpuPercent()));
        row(report, all, "idle: agent heartbeats per second", f -> fmt(f.heartbeatsPerSecond()));
        row(report, all, "idle: agent calls per second (all kinds)", f -> fmt(f.agentCallsPerSecond()));
        row(report, all, "idle: CPU per heartbeat (ms)", f -> fmt(f.cpuMsPerHeartbeat()));
        row(report, all, "GET /instances, 1,000 held, p50 / p99 (ms)", f -> fmt(f.listP50()) + " / " + fmt(f.listP99()));
        row(report, all, "GET /instances?limit=500 p50 / p99 (ms)", f -> fmt(f.list500P50()) + " / " + fmt(f.list500P99()));
        row(report, all, "creates accepted (202) while measured", f -> Long.toString(f.accepted()));
        row(report, all, "creates accepted per second", f -> fmt(f.createsPerSecond()));
        row(report, all, "create request p50 / p99 (ms)", f -> fmt(f.createP50()) + " / " + fmt(f.createP99()));
        row(report, all, "creates run to running while measured, per second", f -> fmt(f.completedPerSecond()));
        row(report, all, "creates not yet ended when the clients stopped", f -> Long.toString(f.backlog()));
        row(report, all, "then until every create had ended (s)", f -> fmt(f.drainSeconds()));
        row(report, all, "replicas' CPU while measured, per create run to running (ms)", f -> fmt(f.cpuMsPerCreate()));
        row(report, all, "measured creates succeeded / failed / unfinished",
                f -> f.succeeded() + " / " + f.failed() + " / " + f.unfinished());
        Figures last = all.get(all.size() - 1);
        Figures first = all.get(0);
        report.finish(String.format(Locale.ROOT, "{\"bench\":\"fleet\",\"agents\":%d,\"instances\":%d,"
                        + "\"creates_per_s\":%.1f,\"accepted_per_s\":%.1f,\"list_p50_ms\":%.1f,\"list_p99_ms\":%.1f,"
                        + "\"cpu_ms_per_heartbeat\":%.2f,\"peer\":\"%d agents\",\"peer_creates_per_s\":%.1f,"
                        + "\"peer_list_p99_ms\":%.1f,\"peer_cpu_ms_per_heartbeat\":%.2f}",
                last.agents(), last.instances(), last.completedPerSecond(), last.createsPerSecond(), last.listP50(),
                last.listP99(), last.cpuMsPerHeartbeat(), first.agents(), first.completedPerSecond(), first.listP99(),
                first.cpuMsPerHeartbeat()));
    }

    private static void row(BenchmarkReport report, List<Figures> all, String label,
                            java.util.function.Function<Figures, String> value) {
        StringBuilder cells = new StringBuilder();
        for (Figures figures : all) {
            cells.append(String.format("%-16s", value.apply(figures)));
        }
        report.row(label, cells.toString().strip());
    }

    private static String fmt(double value) {
        return String.format(Locale.ROOT, "%.1f", value);
    }
}

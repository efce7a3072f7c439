package io.multiplicity.host.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiplicity.agent.jail.JailHost;
import io.multiplicity.agent.support.Command;
import io.multiplicity.it.PackagedApplication;
import io.multiplicity.support.Api;
import io.multiplicity.support.PostgresTestResource;
import io.multiplicity.support.TestKeycloak;
import io.restassured.response.Response;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two control-plane replicas, each the packaged application as a process of its own, share one real
 * PostgreSQL and drive one host agent that runs in a network namespace of its own. Twenty jail
 * creates go through the API, spread over both replicas; one replica is killed with SIGKILL while it
 * runs some of them. Every create must end (succeeded, or failed with a reason and its quota
 * released), no instance may be left {@code provisioning}, and the agent must hold exactly one
 * dataset and one container for each instance that was created, none for the others.
 */
class ReplicaFailoverIT {

    private static final int CREATES = 20;
    private static final String TENANT_USER = "bob";
    private static final String ADMIN = "admin";
    /** Names of this run's pool, bridge and network namespace, so that it never touches another's. */
    private static final String SUFFIX = java.util.HexFormat.of().toHexDigits(
            (short) java.util.concurrent.ThreadLocalRandom.current().nextInt());
    private static final List<String> ENDED = List.of("succeeded", "failed", "cancelled");

    static DataSource database;
    static Path work;
    static PackagedApplication doomed;
    static PackagedApplication survivor;
    static AgentProcessHandle agent;
    static final Set<String> created = new HashSet<>();

    @BeforeAll
    static void start() throws Exception {
        String missing = JailHost.unavailableReason();
        if (missing != null) {
            System.err.println("SKIPPED ReplicaFailoverIT: real jails cannot run on this machine: " + missing);
        }
        Assumptions.assumeTrue(missing == null, "real jails cannot run on this machine: " + missing);
        var postgres = PostgresTestResource.server();
        database = postgres.getPostgresDatabase();
        String jdbcUrl = "jdbc:postgresql://localhost:" + postgres.getPort() + "/postgres";
        work = Files.createDirectories(TestKeycloak.projectRoot().resolve("target/replica-failover-"
                + System.currentTimeMillis()));
        doomed = replica(jdbcUrl, "replica-a").start();
        // Replica B starts while the agent enrols with replica A.
        survivor = replica(jdbcUrl, "replica-b");
        var startingSurvivor = java.util.concurrent.CompletableFuture.runAsync(() -> {
            try {
                survivor.start();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Response token = Api.as(ADMIN).post(doomed.url() + "/api/v1/admin/hosts/enrolment-tokens");
        assertEquals(201, token.statusCode(), token.asString());
        agent = new AgentProcessHandle(SUFFIX, 0);
        agent.start(agent.controlPlane(URI.create(doomed.url()).toURL()), token.path("token"));
        startingSurvivor.join();
        UUID host = agent.awaitHost(survivor.url());
        // Room for twenty one-vCPU, one-GiB jails on the agent's small test pool.
        Response ratios = Api.as(ADMIN).body(Map.of("cpuRatio", 32, "diskRatio", 16))
                .patch(survivor.url() + "/api/v1/admin/hosts/" + host);
        assertEquals(202, ratios.statusCode(), ratios.asString());
        awaitImage("busybox");
    }

    private static PackagedApplication replica(String jdbcUrl, String name) throws Exception {
        Path directory = Files.createDirectories(work.resolve(name));
        return new PackagedApplication(jdbcUrl, directory.resolve("app.log"), Map.of(
                "MULTIPLICITY_HOSTS_LOCAL_AGENT", "false",
                "MULTIPLICITY_HOSTS_HEARTBEAT", "1s",
                "MULTIPLICITY_HOSTS_RECONCILE_INTERVAL", "2s",
                "MULTIPLICITY_NETWORK_POOL", "10.96.0.0/16"));
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (survivor != null) {
                for (String instance : created) {
                    Api.as(TENANT_USER).delete(survivor.url() + "/api/v1/instances/" + instance);
                }
                Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
                while (!liveInstances().isEmpty() && Instant.now().isBefore(deadline)) {
                    Thread.sleep(500);
                }
                // The test database outlives this class (the packaged application's test runs on it
                // next): the remote host, whose agent goes now, is cordoned so that no later create
                // is placed on it while it still looks alive.
                List<Map<String, Object>> hosts = Api.as("admin").get(survivor.url() + "/api/v1/admin/hosts").path("items");
                for (Map<String, Object> host : hosts) {
                    if (!Boolean.TRUE.equals(host.get("local")) && !Boolean.TRUE.equals(host.get("cordoned"))) {
                        Api.as("admin").post(survivor.url() + "/api/v1/admin/hosts/" + host.get("id") + "/cordon");
                    }
                }
            }
        } finally {
            if (agent != null) {
                agent.remove();
            }
            if (survivor != null) {
                survivor.close();
            }
            if (doomed != null) {
                doomed.close();
            }
        }
    }

    @Test
    void killingAReplicaDuringTwentyCreatesLeavesEveryCreateEndedOnceAndItsQuotaRight() throws Exception {
        String doomedWorker = doomed.workerId();
        String survivorWorker = survivor.workerId();
        assertThat(doomedWorker).as("replica A's operation worker").isNotNull();
        String run = UUID.randomUUID().toString().substring(0, 5);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < CREATES; i++) {
            names.add("fo-" + run + "-" + i);
        }
        Map<String, String> operations = new HashMap<>();
        List<String> replayed = new ArrayList<>();
        ExecutorService clients = Executors.newFixedThreadPool(4);
        Instant killedAt = null;
        try {
            // The first half alternates between both replicas, as a load balancer would spread them.
            List<Future<Response>> first = new ArrayList<>();
            for (int i = 0; i < CREATES / 2; i++) {
                String url = (i % 2 == 0 ? doomed : survivor).url();
                String name = names.get(i);
                first.add(clients.submit(() -> create(url, name)));
            }
            for (int i = 0; i < CREATES / 2; i++) {
                record(names.get(i), first.get(i), operations, replayed);
            }
            // Kill replica A while it runs creates of its own, and send the second half meanwhile:
            // the ones still meant for A meet a dead replica and are sent again to B with the same
            // Idempotency-Key, as a client retries a request whose answer it never got.
            List<Future<Response>> second = new ArrayList<>();
            for (int i = CREATES / 2; i < CREATES; i++) {
                String name = names.get(i);
                boolean toDoomed = i % 2 == 0;
                second.add(clients.submit(() -> {
                    try {
                        return create((toDoomed ? doomed : survivor).url(), name);
                    } catch (Exception connectionBroke) {
                        return create(survivor.url(), name);
                    }
                }));
                if (i == CREATES / 2) {
                    Set<UUID> held = awaitRunningUnder(doomedWorker);
                    System.out.println("killing replica A (pid " + doomed.pid() + ") with SIGKILL while it runs " + held);
                    doomed.crash();
                    killedAt = Instant.now();
                }
            }
            for (int i = CREATES / 2; i < CREATES; i++) {
                record(names.get(i), second.get(i - CREATES / 2), operations, replayed);
            }
        } finally {
            clients.shutdownNow();
        }
        System.out.println("creates accepted: " + operations.size() + " of " + CREATES
                + "; answers replayed by replica B for requests cut off with replica A: " + replayed);
        assertThat(operations).as("creates accepted, each once").hasSize(CREATES);
        assertThat(new HashSet<>(operations.values())).as("one operation per create").hasSize(CREATES);

        Map<String, Response> outcomes = new HashMap<>();
        for (Map.Entry<String, String> entry : operations.entrySet()) {
            outcomes.put(entry.getKey(), awaitEnded(entry.getValue(), Duration.ofSeconds(150)));
        }

        System.out.println("every create ended " + Duration.between(killedAt, Instant.now()).toSeconds()
                + " s after replica A was killed");
        Set<String> succeeded = new TreeSet<>();
        for (Map.Entry<String, Response> entry : outcomes.entrySet()) {
            Response operation = entry.getValue();
            String state = operation.path("state");
            assertThat(state).as("create of %s: %s", entry.getKey(), operation.asString()).isIn("succeeded", "failed");
            if ("succeeded".equals(state)) {
                succeeded.add(operation.path("target"));
            } else {
                assertThat((String) operation.path("error")).as("the reason create of %s failed", entry.getKey())
                        .isNotBlank();
            }
        }
        created.addAll(succeeded);

        // The killed replica's operations were taken over by the survivor, not lost nor run beside it.
        List<Map<String, Object>> rows = operationRows();
        List<Map<String, Object>> takenOver = rows.stream().filter(row -> ((Number) row.get("attempts")).intValue() > 1)
                .toList();
        System.out.println("operations taken over after the kill: " + takenOver);
        assertThat(takenOver).as("operations replica A held when it was killed, resumed by replica B").isNotEmpty()
                .allSatisfy(row -> assertThat(row.get("worker_id")).isEqualTo(survivorWorker));
        assertThat(rows).as("no operation is left running or pending")
                .allSatisfy(row -> assertThat(row.get("state")).isIn(ENDED.toArray()));

        // No instance is left provisioning; the live ones are exactly the created ones, each running.
        List<Map<String, Object>> live = liveInstances();
        assertThat(live).as("instances of the tenant").allSatisfy(instance ->
                assertThat(instance.get("state")).as("%s", instance).isEqualTo("running"));
        Set<String> liveIds = live.stream().map(instance -> (String) instance.get("id"))
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(liveIds).as("the tenant's live instances are the created ones").isEqualTo(succeeded);

        // The quota holds what runs and nothing of the creates that failed.
        Response quota = Api.as(TENANT_USER).get(survivor.url() + "/api/v1/quota");
        assertEquals(200, quota.statusCode(), quota.asString());
        assertThat(((Number) quota.path("resources.instances.allocated")).intValue())
                .as("instances allocated in the quota: " + quota.asString()).isEqualTo(succeeded.size());
        assertThat(((Number) quota.path("resources.diskGiB.allocated")).intValue())
                .as("disk allocated in the quota (1 GiB per j1.nano)").isEqualTo(succeeded.size());

        // The agent holds one dataset and one running container per created instance, and nothing else.
        Command.Result datasets = Command.run("zfs", "list", "-H", "-o", "name", "-r", agent.pool + "/multiplicity/instances");
        Set<String> onPool = Arrays.stream(datasets.stdout().split("\n")).map(String::strip)
                .filter(line -> line.startsWith(agent.pool + "/multiplicity/instances/"))
                .map(line -> line.substring((agent.pool + "/multiplicity/instances/").length()))
                .filter(line -> !line.contains("/") && !line.contains("@"))
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(onPool).as("instance datasets on the agent's pool").isEqualTo(succeeded);
        Command.Result containers = Command.run("runc", "--root", agent.dataDir.resolve("run").resolve("oci").toString(),
                "list", "-q");
        List<String> running = Arrays.stream(containers.stdout().split("\n")).map(String::strip)
                .filter(line -> !line.isEmpty()).toList();
        assertThat(running).as("containers on the agent").doesNotHaveDuplicates();
        assertThat(new TreeSet<>(running)).as("containers on the agent").isEqualTo(succeeded);
        // Both replicas put the agent's built-in images into the catalog; neither may fail at it.
        for (String name : List.of("replica-a", "replica-b")) {
            assertThat(Files.readString(work.resolve(name).resolve("app.log")))
                    .as("the log of " + name).doesNotContain("could not register the built-in image");
        }
        System.out.println("succeeded " + succeeded.size() + ", failed " + (outcomes.size() - succeeded.size())
                + ", taken over " + takenOver.size());
    }

    /** A create with an Idempotency-Key of its own, so that sending it again never creates twice. */
    private static Response create(String url, String name) {
        return Api.as(TENANT_USER).header("Idempotency-Key", "create-" + name)
                .body(Map.of("name", name, "kind", "jail", "image", "busybox", "type", "j1.nano", "start", true))
                .post(url + "/api/v1/instances");
    }

    private static void record(String name, Future<Response> answer, Map<String, String> operations,
                               List<String> replayed) throws Exception {
        Response accepted = answer.get();
        assertEquals(202, accepted.statusCode(), accepted.asString());
        operations.put(name, accepted.path("id"));
        if ("true".equals(accepted.header("Idempotency-Replayed"))) {
            replayed.add(name);
        }
    }

    /** The operations replica A runs, once it runs at least one (it must die holding some). */
    private static Set<UUID> awaitRunningUnder(String worker) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (Instant.now().isBefore(deadline)) {
            Set<UUID> held = new HashSet<>();
            try (Connection connection = database.getConnection();
                 PreparedStatement statement = connection.prepareStatement(
                         "select id from operations where worker_id = ? and state = 'running'")) {
                statement.setString(1, worker);
                try (ResultSet result = statement.executeQuery()) {
                    while (result.next()) {
                        held.add(result.getObject(1, UUID.class));
                    }
                }
            }
            if (!held.isEmpty()) {
                return held;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("replica A never ran a create");
    }

    private static List<Map<String, Object>> operationRows() throws Exception {
        List<Map<String, Object>> rows = new ArrayList<>();
        try (Connection connection = database.getConnection();
             PreparedStatement statement = connection.prepareStatement(
                     "select id, state, attempts, worker_id, lease_epoch from operations where kind = 'instance.create'")) {
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    Map<String, Object> row = new HashMap<>();
                    row.put("id", result.getObject("id"));
                    row.put("state", result.getString("state"));
                    row.put("attempts", result.getInt("attempts"));
                    row.put("worker_id", result.getString("worker_id"));
                    row.put("lease_epoch", result.getLong("lease_epoch"));
                    rows.add(row);
                }
            }
        }
        return rows;
    }

    private static List<Map<String, Object>> liveInstances() {
        Response listed = Api.as(TENANT_USER).get(survivor.url() + "/api/v1/instances?limit=100");
        assertEquals(200, listed.statusCode(), listed.asString());
        return listed.path("items");
    }

    private static Response awaitEnded(String operation, Duration timeout) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        Response response = null;
        while (Instant.now().isBefore(deadline)) {
            response = Api.as(TENANT_USER).get(survivor.url() + "/api/v1/operations/" + operation);
            if (ENDED.contains((String) response.path("state"))) {
                return response;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("operation " + operation + " did not end: " + (response == null ? "" : response.asString()));
    }

    private static void awaitImage(String name) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(120));
        while (Instant.now().isBefore(deadline)) {
            List<String> names = Api.as(TENANT_USER).get(survivor.url() + "/api/v1/images?limit=100").path("items.name");
            if (names != null && names.contains(name)) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("the agent's built-in image " + name + " did not reach the catalog");
    }
}

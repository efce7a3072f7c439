package io.multiplicity.host.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiplicity.agent.jail.JailHost;
import io.multiplicity.agent.remote.AgentCredentials;
import io.multiplicity.agent.support.Command;
import io.multiplicity.host.contract.AgentProtocol;
import io.multiplicity.support.Api;
import io.multiplicity.support.ConsoleClient;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A control plane with no agent of its own drives a host agent that runs as a separate process,
 * over mutual TLS: the agent enrols with a one-time token, a busybox jail lives its whole life on it
 * through the API, its serial console reaches the browser through the control plane's gateway, the
 * agent serves no one but the control plane, the control plane trusts no agent but the one it
 * enrolled for that host, and an operation waits for a replica that reaches its host.
 */
@QuarkusTest
@TestProfile(RemoteAgentProfile.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RemoteAgentTest {

    @TestHTTPResource("/")
    java.net.URL base;

    @Inject
    RemoteAgents remoteAgents;

    @Inject
    AgentAuthority authority;

    static AgentProcessHandle agent;
    static String token;
    static UUID hostId;
    static String jail;

    @BeforeAll
    static void requireJails() throws Exception {
        String missing = JailHost.unavailableReason();
        if (missing != null) {
            System.err.println("SKIPPED RemoteAgentTest: real jails cannot run on this machine: " + missing);
        }
        Assumptions.assumeTrue(missing == null, "real jails cannot run on this machine: " + missing);
        agent = new AgentProcessHandle(RemoteAgentProfile.SUFFIX);
    }

    @AfterAll
    static void removeAgent() throws Exception {
        if (agent == null) {
            return;
        }
        if (jail != null) {
            Api.as("bob").delete("/api/v1/instances/" + jail);
        }
        agent.stop();
        // What the agent leaves on the host when it is stopped for good: its instances' processes, its pool, its bridge.
        String runc = "runc --root " + agent.dataDir.resolve("run").resolve("oci");
        Command.run("sh", "-c", "for c in $(" + runc + " list -q 2>/dev/null); do " + runc + " delete -f $c; done");
        Command.run("zpool", "destroy", "-f", agent.pool);
        Command.run("ip", "link", "del", agent.bridge);
    }

    @Test
    @Order(1)
    void anAgentEnrolsWithAOneTimeTokenThatCannotBeUsedTwice() throws Exception {
        Api.as("bob").post("/api/v1/admin/hosts/enrolment-tokens").then().statusCode(403);
        Response created = Api.as("admin").post("/api/v1/admin/hosts/enrolment-tokens");
        assertEquals(201, created.statusCode(), created.asString());
        token = created.path("token");

        agent.start(base.toString(), token);
        hostId = agent.awaitHost("");
        FleetQueries.retireOthers(List.of(hostId.toString()));
        Map<String, Object> host = Api.as("admin").get("/api/v1/admin/hosts/" + hostId).path("");
        assertEquals(false, host.get("local"));
        assertThat(Files.readString(agent.dataDir.resolve("host-id")).strip()).isEqualTo(hostId.toString());

        int hosts = Api.as("admin").get("/api/v1/admin/hosts").<List<?>>path("items").size();
        KeyPair key = AgentCredentials.newKey();
        Response again = Api.anonymous().contentType("application/json").body(new AgentProtocol.EnrolmentRequest(token,
                AgentCredentials.certificateRequest(key, "intruder"), "intruder", "https://127.0.0.1:1", null))
                .post(AgentProtocol.ENROLMENT_PATH);
        assertEquals(401, again.statusCode(), again.asString());
        assertEquals("enrolment_token_used", again.path("error"));
        Response unknown = Api.anonymous().contentType("application/json").body(new AgentProtocol.EnrolmentRequest(
                "not-a-token", AgentCredentials.certificateRequest(key, "intruder"), "intruder", "https://127.0.0.1:1",
                null)).post(AgentProtocol.ENROLMENT_PATH);
        assertEquals(401, unknown.statusCode(), unknown.asString());
        assertEquals(hosts, Api.as("admin").get("/api/v1/admin/hosts").<List<?>>path("items").size(),
                "a refused enrolment adds no host");
    }

    @Test
    @Order(2)
    void aJailLivesItsWholeLifeOnTheRemoteAgent() {
        awaitImage("busybox");
        jail = createJail("remote");
        Response running = Api.as("bob").get("/api/v1/instances/" + jail);
        assertEquals("running", running.path("state"), running.asString());
        assertEquals("remote-" + agent.pool, running.path("host"), running.asString());
        String dataset = agent.pool + "/multiplicity/instances/" + jail;
        assertTrue(Command.run("zfs", "list", "-H", dataset).ok(), "the jail's dataset is on the agent's pool");

        awaitSucceeded(Api.as("bob").post("/api/v1/instances/" + jail + "/stop"));
        assertEquals("stopped", Api.as("bob").get("/api/v1/instances/" + jail).path("state"));
        awaitSucceeded(Api.as("bob").post("/api/v1/instances/" + jail + "/start"));
        assertEquals("running", Api.as("bob").get("/api/v1/instances/" + jail).path("state"));
    }

    @Test
    @Order(3)
    void theSerialConsoleReachesTheBrowserThroughTheGateway() throws Exception {
        Response issued = Api.as("bob").body(Map.of("type", "serial")).post("/api/v1/instances/" + jail + "/console");
        assertEquals(201, issued.statusCode(), issued.asString());
        try (ConsoleClient console = ConsoleClient.connect(base.toString(), issued.path("url"))) {
            assertTrue(console.awaitControl(c -> c.contains("\"you\":\"writer\""), Duration.ofSeconds(15)),
                    "the viewer writes: " + console.controls());
            console.type("echo remote-$((6*7))\n");
            assertTrue(console.awaitOutput("remote-42", Duration.ofSeconds(15)), "the jail answered: " + console.output());
            console.control("{\"type\":\"resize\",\"cols\":101,\"rows\":37}");
            console.type("stty size\n");
            assertTrue(console.awaitOutput("37 101", Duration.ofSeconds(15)), "the window size crosses the wire: "
                    + console.output());
        }
    }

    @Test
    @Order(4)
    void theAgentServesNoOneButTheControlPlane() throws Exception {
        URI facts = URI.create(agent.url() + AgentProtocol.CALL_PATH + AgentProtocol.Call.FACTS.name());
        HttpRequest request = HttpRequest.newBuilder(facts).POST(HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(10)).build();
        // No client certificate at all.
        HttpClient anonymous = HttpClient.newBuilder().sslContext(context(null, null)).build();
        assertThatThrownBy(() -> anonymous.send(request, HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(java.io.IOException.class);
        // A certificate of another authority, even one naming the control plane.
        KeyPair stranger = AgentCredentials.newKey();
        X509Certificate foreign = selfSigned(stranger, "CN=" + AgentProtocol.CONTROL_PLANE_NAME);
        HttpClient impostor = HttpClient.newBuilder().sslContext(context(stranger, foreign)).build();
        assertThatThrownBy(() -> impostor.send(request, HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(java.io.IOException.class);
        // The control plane's own client, for comparison, is served.
        assertThat(remoteAgents.driver(host()).facts().hostId()).isEqualTo(hostId);
    }

    @Test
    @Order(5)
    void theControlPlaneTrustsNoAgentButTheOneEnrolledForTheHost() {
        // The real agent, whose certificate the authority signed, but for another host than the one meant.
        RemoteHostDriver wrongHost = new RemoteHostDriver(URI.create(agent.url()),
                authority.contextFor(UUID.randomUUID(), null));
        assertThatThrownBy(wrongHost::facts).isInstanceOf(RemoteHostDriver.AgentUnreachable.class);
    }

    /**
     * Rotating an agent's credentials (a token bound to its host, the agent started again without
     * its old key) keeps the host and its instances, and the certificate it had before is refused
     * from then on: an agent (or whoever took its key) presenting it is not the host any more.
     */
    @Test
    @Order(6)
    void aRotatedAgentCertificateIsRefusedFromThenOn() throws Exception {
        Path credentials = agent.dataDir.resolve("agent-tls");
        Path before = agent.dataDir.resolve("agent-tls-before");
        Path after = agent.dataDir.resolve("agent-tls-after");
        String oldSerial = host().agentCertificateSerial;
        assertThat(oldSerial).as("the serial of the certificate the enrolment gave").isNotBlank();

        Response created = Api.as("admin").body(Map.of("hostId", hostId.toString()))
                .post("/api/v1/admin/hosts/enrolment-tokens");
        assertEquals(201, created.statusCode(), created.asString());
        agent.stop();
        Command.check("cp", "-a", credentials.toString(), before.toString());
        Command.check("rm", "-rf", credentials.toString());
        agent.start(base.toString(), created.path("token"));
        assertEquals(hostId, agent.awaitHost(""), "the same host, enrolled again");
        String newSerial = host().agentCertificateSerial;
        assertThat(newSerial).isNotBlank().isNotEqualTo(oldSerial);
        assertThat(remoteAgents.driver(host()).facts().hostId()).isEqualTo(hostId);
        Instant settled = Instant.now().plus(Duration.ofSeconds(30));
        while (!"running".equals(Api.as("bob").get("/api/v1/instances/" + jail).path("state"))) {
            assertThat(Instant.now()).as("the instance ran through the rotation").isBefore(settled);
            Thread.sleep(200);
        }

        // The agent comes back with the credentials it had before the rotation.
        agent.stop();
        Command.check("cp", "-a", credentials.toString(), after.toString());
        Command.check("rm", "-rf", credentials.toString());
        Command.check("cp", "-a", before.toString(), credentials.toString());
        agent.start(base.toString(), null);
        assertThatThrownBy(() -> remoteAgents.driver(host()).facts())
                .isInstanceOf(RemoteHostDriver.AgentUnreachable.class);
        Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
        while (remoteAgents.reachable().contains(hostId)) {
            assertThat(Instant.now()).as("the host is out of reach with the superseded certificate").isBefore(deadline);
            Thread.sleep(200);
        }

        agent.stop();
        Command.check("rm", "-rf", credentials.toString());
        Command.check("cp", "-a", after.toString(), credentials.toString());
        agent.start(base.toString(), null);
        deadline = Instant.now().plus(Duration.ofSeconds(20));
        while (!remoteAgents.reachable().contains(hostId)) {
            assertThat(Instant.now()).as("the current certificate is trusted again").isBefore(deadline);
            Thread.sleep(200);
        }
    }

    private static io.multiplicity.host.Host host() {
        return io.quarkus.narayana.jta.QuarkusTransaction.requiringNew().call(
                () -> io.multiplicity.host.Host.<io.multiplicity.host.Host>findById(hostId));
    }

    @Test
    @Order(7)
    void anOperationWaitsForAReplicaThatReachesItsHost() throws Exception {
        agent.stop();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
        while (remoteAgents.reachable().contains(hostId)) {
            assertThat(Instant.now()).as("the stopped agent is noticed").isBefore(deadline);
            Thread.sleep(200);
        }
        Response accepted = Api.as("bob").post("/api/v1/instances/" + jail + "/stop");
        assertEquals(202, accepted.statusCode(), accepted.asString());
        String operation = accepted.path("id");
        Thread.sleep(4000);
        Response waiting = Api.as("bob").get("/api/v1/operations/" + operation);
        assertEquals("pending", waiting.path("state"), "no replica reaches the host, so nobody runs it: "
                + waiting.asString());

        agent.start(base.toString(), null);
        Response finished = awaitFinished(operation);
        assertEquals("succeeded", finished.path("state"), finished.asString());
        assertEquals("stopped", Api.as("bob").get("/api/v1/instances/" + jail).path("state"));
    }

    @Test
    @Order(8)
    void deletingTheJailLeavesNothingOnTheAgent() {
        awaitSucceeded(Api.as("bob").delete("/api/v1/instances/" + jail));
        Api.as("bob").get("/api/v1/instances/" + jail).then().statusCode(404);
        assertThat(Command.run("zfs", "list", "-H", agent.pool + "/multiplicity/instances/" + jail).ok())
                .as("the dataset is gone").isFalse();
        jail = null;
    }

    private static void awaitImage(String name) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(120));
        while (Instant.now().isBefore(deadline)) {
            List<String> names = Api.as("bob").get("/api/v1/images?limit=100").path("items.name");
            if (names != null && names.contains(name)) {
                return;
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        throw new AssertionError("the remote host's built-in image " + name + " did not reach the catalog");
    }

    private static String createJail(String prefix) {
        Response accepted = Api.as("bob").body(Map.of("name", prefix + "-" + UUID.randomUUID().toString().substring(0, 6),
                "kind", "jail", "image", "busybox", "type", "j1.nano", "start", true)).post("/api/v1/instances");
        awaitSucceeded(accepted);
        return accepted.path("target");
    }

    private static void awaitSucceeded(Response accepted) {
        assertEquals(202, accepted.statusCode(), accepted.asString());
        Response finished = awaitFinished(accepted.path("id"));
        assertEquals("succeeded", finished.path("state"), finished.asString());
    }

    private static Response awaitFinished(String operation) {
        return io.multiplicity.support.Operations.finished("bob", operation, Duration.ofSeconds(90));
    }

    /** A TLS context that trusts any server (the test is about the agent refusing the client) with an optional key. */
    private static SSLContext context(KeyPair key, X509Certificate certificate) throws Exception {
        KeyManagerFactory keys = null;
        if (key != null) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("client", key.getPrivate(), new char[0], new X509Certificate[] {certificate});
            keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, new char[0]);
        }
        TrustManager trustAll = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys == null ? null : keys.getKeyManagers(), new TrustManager[] {trustAll}, new SecureRandom());
        return context;
    }

    private static X509Certificate selfSigned(KeyPair key, String subject) throws Exception {
        X500Name name = new X500Name(subject);
        Instant now = Instant.now();
        return new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(name,
                BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minusSeconds(60)), Date.from(now.plusSeconds(3600)),
                name, key.getPublic()).build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate())));
    }
}

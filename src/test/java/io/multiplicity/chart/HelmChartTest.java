package io.multiplicity.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The Helm chart in helm/multiplicity: it lints, and renders with the bundled database, with an
 * external one, and with the agent alone; the rendered objects are what an operator relies on
 * (replicas, probes, security contexts, the agent's privileges and device mounts, the Ingress's
 * WebSocket timeouts, the network policies, credentials only from secrets, pods that roll on change).
 */
class HelmChartTest {

    private static final Path CHART = Path.of("helm", "multiplicity");

    /**
     * The chart keeps a generated secret across upgrades with {@code lookup}, which asks the cluster.
     * This Helm asks the default API address (127.0.0.1:8080) even for a template; here a cluster
     * with no such secret answers there, as a fresh namespace would (lookup finds nothing).
     */
    private static com.sun.net.httpserver.HttpServer emptyCluster;

    @org.junit.jupiter.api.BeforeAll
    static void startAnEmptyCluster() throws IOException {
        try {
            emptyCluster = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 8080), 0);
        } catch (java.net.BindException e) {
            System.err.println("HelmChartTest: port 8080 is taken; lookup goes to whatever listens there");
            return;
        }
        emptyCluster.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            byte[] body;
            int status;
            if (path.equals("/api/v1")) {
                status = 200;
                body = ("{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":\"v1\",\"resources\":"
                        + "[{\"name\":\"secrets\",\"singularName\":\"secret\",\"namespaced\":true,\"kind\":\"Secret\","
                        + "\"verbs\":[\"get\",\"list\"]}]}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            } else {
                status = 404;
                body = ("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"NotFound\","
                        + "\"code\":404}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            }
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, body.length);
            try (var out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        emptyCluster.start();
    }

    @org.junit.jupiter.api.AfterAll
    static void stopTheCluster() {
        if (emptyCluster != null) {
            emptyCluster.stop(0);
        }
    }

    @Test
    void theChartLints() {
        LintResult lint = new Helm(CHART).lint().strict().call();
        assertThat(lint.isFailed()).as(String.join("\n", lint.getMessages())).isFalse();
    }

    @Test
    void defaultValuesRenderTheControlPlaneTheAgentAndTheDatabase() throws IOException {
        List<Map<String, Object>> objects = render(template -> template.set("keycloak.panelSecret", "s"));

        Map<String, Object> deployment = object(objects, "Deployment", "release-multiplicity-control-plane");
        assertThat((Object) at(deployment, "spec.replicas")).isEqualTo(2);
        Map<String, Object> container = first(at(deployment, "spec.template.spec.containers"));
        assertThat((Object) at(container, "livenessProbe.httpGet.path")).isEqualTo("/q/health/live");
        assertThat((Object) at(container, "readinessProbe.httpGet.path")).isEqualTo("/q/health/ready");
        assertThat((Object) at(container, "securityContext.runAsNonRoot")).isEqualTo(true);
        assertThat((Object) at(container, "securityContext.readOnlyRootFilesystem")).isEqualTo(true);
        assertThat((Object) at(container, "securityContext.allowPrivilegeEscalation")).isEqualTo(false);
        assertThat((List<Object>) at(container, "securityContext.capabilities.drop")).containsExactly("ALL");
        Map<String, Object> annotations = at(deployment, "spec.template.metadata.annotations");
        assertThat(annotations).containsKeys("checksum/config", "checksum/secret");
        List<Map<String, Object>> env = at(container, "env");
        assertThat(env).anySatisfy(variable -> {
            assertThat(variable.get("name")).isEqualTo("QUARKUS_DATASOURCE_PASSWORD");
            assertThat((Object) at(variable, "valueFrom.secretKeyRef.name")).isEqualTo("release-multiplicity-postgresql");
        });
        Map<String, Object> config = object(objects, "ConfigMap", "release-multiplicity-control-plane");
        assertThat((Object) at(config, "data.MULTIPLICITY_HOSTS_LOCAL_AGENT")).isEqualTo("false");
        assertThat((String) at(config, "data.QUARKUS_DATASOURCE_JDBC_URL"))
                .isEqualTo("jdbc:postgresql://release-multiplicity-postgresql:5432/multiplicity");
        assertThat((Object) at(object(objects, "PodDisruptionBudget", "release-multiplicity-control-plane"), "spec.minAvailable"))
                .isEqualTo(1);
        assertThat(object(objects, "StatefulSet", "release-multiplicity-postgresql")).isNotNull();

        Map<String, Object> agent = object(objects, "DaemonSet", "release-multiplicity-agent");
        Map<String, Object> pod = at(agent, "spec.template.spec");
        assertThat(pod.get("hostNetwork")).isEqualTo(true);
        assertThat(pod.get("hostPID")).isEqualTo(true);
        assertThat((Object) at(pod, "nodeSelector")).isEqualTo(Map.of("multiplicity.io/hypervisor", "true"));
        Map<String, Object> agentContainer = first(at(pod, "containers"));
        assertThat((Object) at(agentContainer, "securityContext.privileged")).isEqualTo(true);
        List<Map<String, Object>> mounts = at(agentContainer, "volumeMounts");
        assertThat(mounts).extracting(mount -> mount.get("mountPath"))
                .contains("/dev", "/var/lib/multiplicity", "/sys/fs/cgroup");
        List<Map<String, Object>> volumes = at(pod, "volumes");
        assertThat(volumes).anySatisfy(volume -> assertThat((Object) at(volume, "hostPath.path")).isEqualTo("/dev"));
        assertThat((List<Object>) at(agentContainer, "args")).anySatisfy(line ->
                assertThat((String) line).contains("io.multiplicity.agent.local.AgentProcess"));

        List<Map<String, Object>> policies = objects(objects, "NetworkPolicy");
        assertThat(policies).extracting(policy -> at(policy, "metadata.name"))
                .containsExactlyInAnyOrder("release-multiplicity-control-plane", "release-multiplicity-postgresql");
        Map<String, Object> database = object(objects, "NetworkPolicy", "release-multiplicity-postgresql");
        Map<String, Object> from = first(at(first(at(database, "spec.ingress")), "from"));
        assertThat((Object) at(from, "podSelector.matchLabels.app\\.kubernetes\\.io/component")).isEqualTo("control-plane");

        // (helm-java's template leaves the test hooks out; the lint above renders templates/tests too)
        assertThat(Files.readString(CHART.resolve("templates/tests/test-health.yaml")))
                .contains("helm.sh/hook: test").contains("/q/health/ready");
        assertThat(objects(objects, "Ingress")).isEmpty();
        assertThat(objects(objects, "HorizontalPodAutoscaler")).isEmpty();
    }

    @Test
    void anExternalDatabaseTakesItsPasswordFromAnExistingSecretAndNoDatabaseIsDeployed() {
        List<Map<String, Object>> objects = render(template -> template
                .set("postgresql.enabled", "false")
                .set("externalDatabase.host", "db.example.com")
                .set("externalDatabase.existingSecret", "db-credentials")
                .set("externalDatabase.existingSecretPasswordKey", "pw")
                .set("keycloak.existingSecret", "keycloak-credentials")
                .set("ingress.enabled", "true")
                .set("controlPlane.autoscaling.enabled", "true")
                .set("metrics.serviceMonitor.enabled", "true"));
        assertThat(objects(objects, "StatefulSet")).isEmpty();
        assertThat(objects(objects, "Secret")).as("every credential comes from the existing secrets").isEmpty();
        Map<String, Object> deployment = object(objects, "Deployment", "release-multiplicity-control-plane");
        assertThat((Object) at(deployment, "spec.replicas")).as("the autoscaler sets the replicas").isNull();
        List<Map<String, Object>> env = at(first(at(deployment, "spec.template.spec.containers")), "env");
        assertThat(env).anySatisfy(variable -> {
            assertThat(variable.get("name")).isEqualTo("QUARKUS_DATASOURCE_PASSWORD");
            assertThat((Object) at(variable, "valueFrom.secretKeyRef.name")).isEqualTo("db-credentials");
            assertThat((Object) at(variable, "valueFrom.secretKeyRef.key")).isEqualTo("pw");
        });
        assertThat(env).anySatisfy(variable -> {
            assertThat(variable.get("name")).isEqualTo("MULTIPLICITY_KEYCLOAK_PANEL_SECRET");
            assertThat((Object) at(variable, "valueFrom.secretKeyRef.name")).isEqualTo("keycloak-credentials");
        });
        assertThat((String) at(object(objects, "ConfigMap", "release-multiplicity-control-plane"),
                "data.QUARKUS_DATASOURCE_JDBC_URL")).isEqualTo("jdbc:postgresql://db.example.com:5432/multiplicity");
        Map<String, Object> ingress = object(objects, "Ingress", "release-multiplicity-control-plane");
        assertThat((Object) at(ingress, "metadata.annotations.nginx\\.ingress\\.kubernetes\\.io/proxy-read-timeout"))
                .isEqualTo("3600");
        assertThat((Object) at(ingress, "metadata.annotations.nginx\\.ingress\\.kubernetes\\.io/proxy-send-timeout"))
                .isEqualTo("3600");
        assertThat(objects(objects, "HorizontalPodAutoscaler")).hasSize(1);
        assertThat(objects(objects, "ServiceMonitor")).hasSize(1);
        assertThat(objects(objects, "NetworkPolicy")).extracting(policy -> at(policy, "metadata.name"))
                .containsExactly("release-multiplicity-control-plane");
    }

    @Test
    void theAgentReadsItsEnrolmentTokenFromAnExistingSecret() {
        List<Map<String, Object>> objects = render(template -> template
                .set("keycloak.panelSecret", "s")
                .set("agent.enrolment.existingSecret", "enrolment-tokens"));
        Map<String, Object> pod = at(object(objects, "DaemonSet", "release-multiplicity-agent"), "spec.template.spec");
        List<Map<String, Object>> volumes = at(pod, "volumes");
        assertThat(volumes).anySatisfy(volume -> assertThat((Object) at(volume, "secret.secretName")).isEqualTo("enrolment-tokens"));
    }

    @Test
    void credentialsNotGivenAreGeneratedIntoSecretsAndBadValuesAreRefusedByTheSchema() {
        List<Map<String, Object>> objects = render(UnaryOperator.identity());
        assertThat((Object) at(object(objects, "Secret", "release-multiplicity-keycloak"), "data.panel-secret")).isNotNull();
        assertThat((Object) at(object(objects, "Secret", "release-multiplicity-postgresql"), "data.password")).isNotNull();
        assertThatThrownBy(() -> render(template -> template.set("keycloak.panelSecret", "s")
                .set("controlPlane.replicaCount", "0")))
                .hasMessageContaining("replicaCount");
        assertThatThrownBy(() -> render(template -> template.set("keycloak.panelSecret", "s")
                .set("agent.bridge", "a-bridge-name-too-long")))
                .hasMessageContaining("bridge");
    }

    private static List<Map<String, Object>> render(UnaryOperator<TemplateCommand> values) {
        String manifest = values.apply(new Helm(CHART).template().withName("release").withNamespace("hosting")).call();
        List<Map<String, Object>> objects = new ArrayList<>();
        for (Object document : new Yaml().loadAll(manifest)) {
            if (document instanceof Map<?, ?> map) {
                @SuppressWarnings("unchecked")
                Map<String, Object> object = (Map<String, Object>) map;
                objects.add(object);
            }
        }
        assertThat(objects).as("rendered objects").isNotEmpty();
        for (Map<String, Object> object : objects) {
            assertThat(object).containsKeys("apiVersion", "kind", "metadata");
            assertThat((Map<String, Object>) at(object, "metadata.labels"))
                    .containsEntry("app.kubernetes.io/instance", "release");
        }
        return objects;
    }

    private static List<Map<String, Object>> objects(List<Map<String, Object>> objects, String kind) {
        return objects.stream().filter(object -> kind.equals(object.get("kind"))).toList();
    }

    private static Map<String, Object> object(List<Map<String, Object>> objects, String kind, String name) {
        return objects(objects, kind).stream().filter(object -> name.equals(at(object, "metadata.name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " among "
                        + objects.stream().map(object -> object.get("kind") + "/" + at(object, "metadata.name")).toList()));
    }

    @SuppressWarnings("unchecked")
    private static <T> T first(Object list) {
        return ((List<T>) list).get(0);
    }

    /** The value at a dotted path ({@code \.} for a dot inside a key), or null. */
    @SuppressWarnings({"unchecked", "TypeParameterUnusedInFormals"})
    private static <T> T at(Map<String, Object> object, String path) {
        Object current = object;
        for (String key : path.split("(?<!\\\\)\\.")) {
            if (!(current instanceof Map<?, ?> map)) {
                return null;
            }
            current = map.get(key.replace("\\.", "."));
        }
        return (T) current;
    }
}

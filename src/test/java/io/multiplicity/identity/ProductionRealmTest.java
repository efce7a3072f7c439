package io.multiplicity.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.multiplicity.support.TestKeycloak;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The production path's realm (what {@code scripts/keycloak.sh start-production} imports) has no
 * demo user and a client secret of its own, generated once and readable by its owner only; the
 * demo realm keeps its demo users for {@code make run}.
 */
class ProductionRealmTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path data;

    @Test
    void theProductionRealmHasNoDemoUserAndAGeneratedSecret() throws Exception {
        if (!Files.isExecutable(Path.of("/usr/bin/jq"))) {
            System.err.println("SKIPPED ProductionRealmTest: jq is not installed (scripts/install-deps.sh installs it)");
        }
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/jq")), "jq is not installed");
        JsonNode realm = productionRealm();
        List<String> users = names(realm.path("users"), "username");
        assertEquals(List.of("service-account-multiplicity-panel"), users, "only the panel's service account");
        String secret = panelSecret(realm);
        assertThat(secret).isNotEqualTo(DemoNotice.REPOSITORY_SECRET).hasSizeGreaterThanOrEqualTo(32);
        Path secretFile = data.resolve("keycloak-panel-secret");
        assertEquals(secret, Files.readString(secretFile).strip());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(secretFile)));
        assertEquals(secret, panelSecret(productionRealm()), "generated once, then kept");
    }

    @Test
    void theDemoRealmKeepsItsDemoUsers() throws IOException {
        JsonNode demo = JSON.readTree(TestKeycloak.projectRoot().resolve("src/main/keycloak/multiplicity-realm.json").toFile());
        assertThat(names(demo.path("users"), "username")).contains("admin", "alice", "bob", "carol", "dave");
        assertEquals(DemoNotice.REPOSITORY_SECRET, panelSecret(demo));
    }

    private JsonNode productionRealm() throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder("bash", "scripts/keycloak.sh", "production-realm")
                .directory(TestKeycloak.projectRoot().toFile());
        builder.environment().put("MULTIPLICITY_DATA_DIR", data.toString());
        builder.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), output);
        return JSON.readTree(output);
    }

    private static String panelSecret(JsonNode realm) {
        return StreamSupport.stream(realm.path("clients").spliterator(), false)
                .filter(client -> client.path("clientId").asText().equals("multiplicity-panel"))
                .findFirst().orElseThrow().path("secret").asText();
    }

    private static List<String> names(JsonNode array, String field) {
        List<String> names = new ArrayList<>();
        array.forEach(node -> names.add(node.path(field).asText()));
        return names;
    }
}

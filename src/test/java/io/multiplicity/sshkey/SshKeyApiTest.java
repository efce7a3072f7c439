package io.multiplicity.sshkey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiplicity.agent.support.Command;
import io.multiplicity.host.contract.InstanceSpec;
import io.multiplicity.support.Api;
import io.multiplicity.support.RecordingHostDriver;
import io.multiplicity.support.RecordingHostProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Users keep SSH public keys (checked and fingerprinted as OpenSSH's ssh-keygen does), choose them
 * and user-data when they create an instance, and the host is given both for the instance's
 * metadata service. A key is its owner's alone.
 */
@QuarkusTest
@TestProfile(RecordingHostProfile.class)
class SshKeyApiTest {

    /** Keys made by OpenSSH's ssh-keygen, with the fingerprints it prints for them. */
    record Generated(String publicKey, String fingerprint) {
    }

    static Generated ed25519;
    static Generated rsa;
    static Generated smallRsa;

    @BeforeAll
    static void generateKeys() throws IOException {
        String missing = Command.run("sh", "-c", "command -v ssh-keygen").ok() ? null
                : "ssh-keygen is not installed (scripts/host-deps.sh installs openssh-client)";
        if (missing != null) {
            System.err.println("SKIPPED SshKeyApiTest: " + missing);
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(missing == null, missing);
        ed25519 = generate("ed25519", 0);
        rsa = generate("rsa", 3072);
        smallRsa = generate("rsa", 1024);
    }

    private static Generated generate(String type, int bits) throws IOException {
        Path directory = Files.createTempDirectory("ssh-key-test");
        Path file = directory.resolve("key");
        List<String> command = new java.util.ArrayList<>(List.of("ssh-keygen", "-q", "-t", type, "-N", "", "-C",
                "bob@" + type, "-f", file.toString()));
        if (bits > 0) {
            command.addAll(List.of("-b", Integer.toString(bits)));
        }
        Command.run(command, null).check();
        String publicKey = Files.readString(directory.resolve("key.pub")).strip();
        String fingerprint = Command.check("ssh-keygen", "-l", "-E", "sha256", "-f", directory.resolve("key.pub").toString())
                .split("\\s+")[1];
        Command.run("rm", "-rf", directory.toString());
        return new Generated(publicKey, fingerprint);
    }

    @Test
    void aUserKeepsKeysThatAreCheckedAndFingerprintedAsSshKeygenDoes() {
        String name = "laptop-" + UUID.randomUUID().toString().substring(0, 6);
        Response added = Api.as("bob").body(Map.of("name", name, "publicKey", ed25519.publicKey())).post("/api/v1/ssh-keys");
        assertEquals(202, added.statusCode(), added.asString());
        String id = added.path("target");
        Response key = Api.as("bob").get("/api/v1/ssh-keys/" + id);
        assertEquals(ed25519.fingerprint(), key.path("fingerprint"));
        assertEquals("ssh-ed25519", key.path("type"));
        assertEquals(256, (int) key.path("bits"));
        assertEquals("bob@ed25519", key.path("comment"));
        assertEquals(ed25519.publicKey(), key.path("publicKey"));

        Response big = Api.as("bob").body(Map.of("name", name + "-rsa", "publicKey", rsa.publicKey())).post("/api/v1/ssh-keys");
        assertEquals(202, big.statusCode(), big.asString());
        assertEquals(rsa.fingerprint(), Api.as("bob").get("/api/v1/ssh-keys/" + big.path("target")).path("fingerprint"));
        assertEquals(3072, (int) Api.as("bob").get("/api/v1/ssh-keys/" + big.path("target")).path("bits"));

        // bad input: a clear 400 and nothing kept
        for (String bad : List.of(smallRsa.publicKey(), "ssh-ed25519 not-base64!", "ssh-dss AAAAB3NzaC1kc3MAAACBAP",
                "command=\"rm -rf /\" " + ed25519.publicKey(), ed25519.publicKey().replace("ssh-ed25519", "ssh-rsa"),
                ed25519.publicKey() + "\n" + rsa.publicKey())) {
            Response refused = Api.as("bob").body(Map.of("name", "bad", "publicKey", bad)).post("/api/v1/ssh-keys");
            assertEquals(400, refused.statusCode(), bad + " → " + refused.asString());
            assertEquals("invalid_ssh_key", refused.path("error"));
        }
        assertThat(Api.as("bob").body(Map.of("name", "bad", "publicKey", smallRsa.publicKey())).post("/api/v1/ssh-keys")
                .<String>path("message")).contains("at least 2048 bits");
        Response again = Api.as("bob").body(Map.of("name", "other", "publicKey", ed25519.publicKey())).post("/api/v1/ssh-keys");
        assertEquals(409, again.statusCode());
        assertEquals("key_exists", again.path("error"));
        assertThat(Api.as("bob").get("/api/v1/ssh-keys").<List<String>>path("items.name")).doesNotContain("bad", "other");

        // a key is its owner's: not even another user of the same tenant sees it
        assertThat(Api.as("alice").get("/api/v1/ssh-keys").<List<String>>path("items.id")).doesNotContain(id);
        Api.as("alice").get("/api/v1/ssh-keys/" + id).then().statusCode(404);
        Api.as("alice").delete("/api/v1/ssh-keys/" + id).then().statusCode(404);

        Api.as("bob").delete("/api/v1/ssh-keys/" + big.path("target")).then().statusCode(202);
        assertThat(Api.as("bob").get("/api/v1/ssh-keys").<List<String>>path("items.name")).contains(name)
                .doesNotContain(name + "-rsa");
    }

    @Test
    void anInstanceIsCreatedWithKeysAndUserDataForItsMetadataService() {
        String keyId = Api.as("bob").body(Map.of("name", "inst-" + UUID.randomUUID().toString().substring(0, 6),
                "publicKey", generateQuietly().publicKey())).post("/api/v1/ssh-keys").then().statusCode(202)
                .extract().path("target");
        String aliceKey = Api.as("alice").body(Map.of("name", "alice-" + UUID.randomUUID().toString().substring(0, 6),
                "publicKey", generateQuietly().publicKey())).post("/api/v1/ssh-keys").then().statusCode(202)
                .extract().path("target");
        String userData = "#!/bin/sh\necho hello > /tmp/hello\n";

        Response foreign = Api.as("bob").body(Map.of("name", "keys-" + UUID.randomUUID().toString().substring(0, 6),
                "kind", "jail", "image", "busybox", "type", "j1.nano", "sshKeys", List.of(aliceKey)))
                .post("/api/v1/instances");
        assertEquals(400, foreign.statusCode(), "another user's key: " + foreign.asString());
        assertEquals("unknown_ssh_key", foreign.path("error"));
        Response huge = Api.as("bob").body(Map.of("name", "keys-" + UUID.randomUUID().toString().substring(0, 6),
                "kind", "jail", "image", "busybox", "type", "j1.nano", "userData", "x".repeat(70_000)))
                .post("/api/v1/instances");
        assertEquals(400, huge.statusCode(), huge.asString());

        Response accepted = Api.as("bob").body(Map.of("name", "keys-" + UUID.randomUUID().toString().substring(0, 6),
                "kind", "jail", "image", "busybox", "type", "j1.nano", "start", true, "sshKeys", List.of(keyId),
                "userData", userData)).post("/api/v1/instances");
        assertEquals(202, accepted.statusCode(), accepted.asString());
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (!"succeeded".equals(Api.as("bob").get("/api/v1/operations/" + accepted.path("id")).path("state"))) {
            assertThat(Instant.now()).as("the create finishes").isBefore(deadline);
        }
        InstanceSpec spec = RecordingHostDriver.SPECS.get(UUID.fromString(accepted.path("target")));
        String publicKey = Api.as("bob").get("/api/v1/ssh-keys/" + keyId).path("publicKey");
        assertEquals(List.of(publicKey), spec.metadata().sshKeys());
        assertEquals(userData, spec.metadata().userData());

        // removing the key later leaves the instance as it was made
        Api.as("bob").delete("/api/v1/ssh-keys/" + keyId).then().statusCode(202);
        Api.as("bob").post("/api/v1/instances/" + accepted.path("target") + "/restart").then().statusCode(202);
        Instant restartDeadline = Instant.now().plus(Duration.ofSeconds(30));
        while (Api.as("bob").get("/api/v1/operations?target=" + accepted.path("target")).<List<String>>path("items.state")
                .stream().anyMatch(state -> state.equals("pending") || state.equals("running"))) {
            assertThat(Instant.now()).isBefore(restartDeadline);
        }
        assertEquals(List.of(publicKey), RecordingHostDriver.SPECS.get(UUID.fromString(accepted.path("target")))
                .metadata().sshKeys());
    }

    private static Generated generateQuietly() {
        try {
            return generate("ed25519", 0);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}

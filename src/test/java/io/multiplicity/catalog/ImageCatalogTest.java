package io.multiplicity.catalog;

import static io.multiplicity.support.Tarballs.device;
import static io.multiplicity.support.Tarballs.file;
import static io.multiplicity.support.Tarballs.symlink;
import static io.multiplicity.support.Tarballs.zeros;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiplicity.agent.Agent;
import io.multiplicity.agent.jail.JailDriver;
import io.multiplicity.agent.jail.JailHost;
import io.multiplicity.agent.storage.ZfsStorage;
import io.multiplicity.host.contract.HostDriver;
import io.multiplicity.host.contract.InstanceStatus;
import io.multiplicity.support.Api;
import io.multiplicity.support.LocalJailProfile;
import io.multiplicity.support.Tarballs;
import io.quarkus.arc.Arc;
import io.quarkus.arc.ClientProxy;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.config.HttpClientConfig;
import io.restassured.response.Response;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The image catalog through the API on this machine's real ZFS and OCI runtime: private images
 * and sharing, malicious archives, channels. Jail images here are root file systems built from
 * the host's busybox image, so the jails made from them really boot.
 */
@QuarkusTest
@TestProfile(ImageCatalogTest.Profile.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ImageCatalogTest {

    /** The real host with a pool of its own (a separate application from the jail tests'). */
    public static class Profile extends LocalJailProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> overrides = new java.util.HashMap<>(super.getConfigOverrides());
            overrides.put("multiplicity.agent.pool-name", "mpc" + SUFFIX);
            overrides.put("multiplicity.agent.bridge", "mpc" + SUFFIX);
            overrides.put("multiplicity.agent.data-dir", "target/image-api-" + SUFFIX);
            overrides.put("multiplicity.hosts.local-name", "image-api-host");
            // The Debian VM image where scripts/build-image.sh debian-vm leaves it (imported at start when built).
            overrides.put("multiplicity.agent.vm-debian-image-source", DEBIAN_VM.toAbsolutePath().toString());
            overrides.put("multiplicity.network.pool", "10.93.0.0/16");
            overrides.put("multiplicity.images.url-allow-list", "http://127.0.0.1:" + URL_PORT + "/images/");
            return overrides;
        }
    }

    /**
     * Port of the test's own download server, whose /images/ the admin allows; from the process id,
     * so the profile and the test (loaded by different class loaders) agree on it.
     */
    static final int URL_PORT = 20000 + (int) (ProcessHandle.current().pid() % 20000);

    @BeforeAll
    static void requireJails() {
        String missing = JailHost.unavailableReason();
        if (missing != null) {
            System.err.println("SKIPPED ImageCatalogTest: real jails cannot run on this machine: " + missing);
        }
        Assumptions.assumeTrue(missing == null, "real jails cannot run on this machine: " + missing);
    }

    @AfterAll
    static void removeHost() {
        if (agent() instanceof Agent host) {
            JailDriver jails = host.jails();
            for (InstanceStatus status : jails.list()) {
                jails.destroy(status.id());
            }
            jails.network().removeAll();
            jails.storage().destroyPool();
        }
    }

    static HostDriver agent() {
        return (HostDriver) ClientProxy.unwrap(Arc.container().instance(HostDriver.class).get());
    }

    static JailDriver jails() {
        assertThat(agent()).isInstanceOf(Agent.class);
        return ((Agent) agent()).jails();
    }

    /** A bootable root file system: the host's busybox image plus a file saying which build it is. */
    static byte[] rootfs(String build) {
        ZfsStorage storage = jails().storage();
        Path root = storage.mountpoint(storage.imageDataset("busybox"));
        return Tarballs.gzip(tar -> Tarballs.tree(tar, root, storage.imageIdBase("busybox"),
                Map.of("etc/build", build + "\n")));
    }

    static String createImage(String user, String name) {
        Response created = Api.as(user).body(Map.of("name", name, "kind", "jail", "os", "busybox",
                "description", "test image")).post("/api/v1/images");
        assertEquals(201, created.statusCode(), created.asString());
        return created.path("id");
    }

    /**
     * An upload is answered once the image is unpacked into its dataset; a distribution's root file system
     * takes longer than the test client's default 30 s on a loaded machine, so the client waits longer here.
     */
    static Response upload(String user, String image, String version, byte[] data, Map<String, ?> query) {
        return Api.as(user).config(RestAssured.config().httpClient(HttpClientConfig.httpClientConfig()
                        .setParam("http.connection.timeout", 30_000).setParam("http.socket.timeout", 300_000)))
                .contentType("application/octet-stream").queryParam("version", version)
                .queryParams(query).body(data).post("/api/v1/images/" + image + "/versions");
    }

    static String createJail(String user, String image) {
        Response accepted = Api.as(user).body(Map.of("name", "img-" + UUID.randomUUID().toString().substring(0, 6),
                "kind", "jail", "image", image, "type", "j1.nano", "start", true)).post("/api/v1/instances");
        assertEquals(202, accepted.statusCode(), accepted.asString());
        succeed(user, accepted.path("id"));
        return accepted.path("target");
    }

    static void succeed(String user, String operation) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
        while (Instant.now().isBefore(deadline)) {
            Response response = Api.as(user).get("/api/v1/operations/" + operation);
            String state = response.path("state");
            if (List.of("succeeded", "failed", "cancelled").contains(state)) {
                assertEquals("succeeded", state, response.asString());
                return;
            }
            sleep(200);
        }
        throw new AssertionError("operation " + operation + " did not finish");
    }

    /** What the jail's root file system says it was built as. */
    static String build(String instance) {
        return jails().exec(UUID.fromString(instance), "cat", "/etc/build").stdout().strip();
    }

    static void delete(String user, String instance) {
        Response accepted = Api.as(user).delete("/api/v1/instances/" + instance);
        assertEquals(202, accepted.statusCode(), accepted.asString());
        succeed(user, accepted.path("id"));
    }

    @Test
    @Order(1)
    void builtInImagesAreInTheCatalog() {
        Response images = Api.as("dave").queryParam("kind", "jail").get("/api/v1/images");
        assertEquals(200, images.statusCode());
        assertThat(images.<List<String>>path("items.name")).contains("busybox");
        assertEquals("public", images.path("items.find { it.name == 'busybox' }.visibility"));
        assertThat(images.<String>path("items.find { it.name == 'busybox' }.sha256")).matches("[0-9a-f]{64}");
    }

    static final Path DEBIAN_VM = Path.of("data", "vm-images", "debian-vm");

    /**
     * The Debian VM image is {@code debian} of kind {@code vm} beside a jail image {@code debian}:
     * every reference resolves by name and the instance's kind, the image's former name still
     * resolves, and a request that gives no kind for a name of both kinds is refused as ambiguous,
     * creating nothing.
     */
    @Test
    @Order(1)
    void theDebianVmImageIsDebianOfKindVmBesideTheJailImageOfThatName() {
        if (!Files.isRegularFile(DEBIAN_VM.resolve("disk.raw"))) {
            System.err.println("SKIPPED ImageCatalogTest debian-vm: the image is not built (no " + DEBIAN_VM.resolve("disk.raw")
                    + "; bash scripts/build-image.sh debian-vm)");
        }
        Assumptions.assumeTrue(Files.isRegularFile(DEBIAN_VM.resolve("disk.raw")), "debian-vm is not built");
        Response images = Api.as("dave").queryParam("kind", "vm").get("/api/v1/images");
        assertEquals(200, images.statusCode());
        assertThat(images.<List<String>>path("items.name")).contains("debian").doesNotContain("debian-vm");
        assertEquals("public", images.path("items.find { it.name == 'debian' }.visibility"));
        assertEquals("vm", images.path("items.find { it.name == 'debian' }.kind"));
        assertEquals("debian", images.path("items.find { it.name == 'debian' }.os"));
        assertEquals(true, images.path("items.find { it.name == 'debian' }.builtIn"));
        assertThat(images.<String>path("items.find { it.name == 'debian' }.sha256")).matches("[0-9a-f]{64}");
        String vmImage = images.path("items.find { it.name == 'debian' }.id");
        String vmVersion = images.path("items.find { it.name == 'debian' }.latestVersion");

        // The provider's jail image of the same name (a busybox root here, so the jail boots fast).
        Response jailImage = Api.as("admin").body(Map.of("name", "debian", "kind", "jail", "os", "debian",
                "description", "a jail image named like the VM image")).post("/api/v1/images");
        assertEquals(201, jailImage.statusCode(), jailImage.asString());
        String jailImageId = jailImage.path("id");
        byte[] data = rootfs("debian-jail");
        Response uploaded = upload("admin", jailImageId, "12.0", data, Map.of("sha256", Tarballs.sha256(data)));
        assertEquals(201, uploaded.statusCode(), uploaded.asString());
        Response twice = Api.as("admin").body(Map.of("name", "debian", "kind", "jail", "os", "debian"))
                .post("/api/v1/images");
        assertEquals(409, twice.statusCode(), "a name is unique per kind: " + twice.asString());
        assertEquals("name_taken", twice.path("error"));

        Response named = Api.as("bob").queryParam("name", "debian").get("/api/v1/images");
        assertThat(named.<List<String>>path("items.kind")).containsExactlyInAnyOrder("jail", "vm");

        String jail = createJail("bob", "debian");
        assertEquals("debian-jail", build(jail), "kind jail: the jail image");
        assertEquals("12.0", Api.as("bob").get("/api/v1/instances/" + jail).path("imageVersion"));

        String vm = createStopped("bob", "vm", "debian");
        Response vmInstance = Api.as("bob").get("/api/v1/instances/" + vm);
        assertEquals("vm", vmInstance.path("kind"));
        assertEquals(vmVersion, vmInstance.path("imageVersion"), "kind vm: the Debian VM image's version");
        assertThat(Api.as("bob").get("/api/v1/images/" + vmImage).<List<Integer>>path("versions.instances"))
                .as("the VM image counts the VM among its instances").contains(1);
        delete("bob", vm);   // room on the test's small pool for the next one
        String legacy = createStopped("bob", "vm", "debian-vm");
        assertEquals(vmVersion, Api.as("bob").get("/api/v1/instances/" + legacy).path("imageVersion"),
                "the image's former name still resolves");

        long before = Api.as("bob").get("/api/v1/instances").<List<?>>path("items").size();
        Response ambiguous = Api.as("bob").body(Map.of("name", "which-one", "image", "debian", "vcpus", 1,
                "memoryMiB", 256, "diskGiB", 4)).post("/api/v1/instances");
        assertEquals(400, ambiguous.statusCode(), ambiguous.asString());
        assertEquals("ambiguous_image", ambiguous.path("error"));
        assertThat(ambiguous.<String>path("message")).contains("jail", "vm", "kind");
        assertThat(ambiguous.<List<String>>path("details.kinds")).containsExactly("jail", "vm");
        assertEquals(before, Api.as("bob").get("/api/v1/instances").<List<?>>path("items").size(),
                "nothing was created");
        Response wrongKind = Api.as("bob").body(Map.of("name", "busy-vm", "kind", "vm", "image", "busybox",
                "type", "v1.nano")).post("/api/v1/instances");
        assertEquals(400, wrongKind.statusCode(), wrongKind.asString());
        assertThat(wrongKind.<String>path("message")).contains("busybox is a jail image, not a vm image");

        for (String instance : List.of(jail, legacy)) {
            delete("bob", instance);
        }
        Api.as("admin").delete("/api/v1/images/" + jailImageId).then().statusCode(204);
    }

    static String createStopped(String user, String kind, String image) {
        // The Debian VM's disk is 2 GiB: more than the smallest type's.
        Response accepted = Api.as(user).body(Map.of("name", "img-" + UUID.randomUUID().toString().substring(0, 6),
                "kind", kind, "image", image, "type", "vm".equals(kind) ? "v1.nano" : "j1.nano", "diskGiB", 2,
                "start", false)).post("/api/v1/instances");
        assertEquals(202, accepted.statusCode(), accepted.asString());
        succeed(user, accepted.path("id"));
        return accepted.path("target");
    }

    @Test
    @Order(2)
    void aPrivateImageIsInvisibleToOtherTenantsUntilShared() {
        String image = createImage("alice", "webroot");
        byte[] data = rootfs("webroot-1");
        Response uploaded = upload("bob", image, "1.0", data, Map.of("sha256", Tarballs.sha256(data)));
        assertEquals(201, uploaded.statusCode(), uploaded.asString());
        assertEquals("private", uploaded.path("visibility"));
        assertEquals(Tarballs.sha256(data), uploaded.path("versions[0].sha256"));

        String jail = createJail("bob", "webroot");
        Response instance = Api.as("bob").get("/api/v1/instances/" + jail);
        assertEquals("running", instance.path("state"));
        assertEquals("1.0", instance.path("imageVersion"), "the instance records the exact version");
        assertEquals("webroot-1", build(jail), "the jail runs the uploaded root file system");

        assertThat(Api.as("dave").get("/api/v1/images").<List<String>>path("items.name")).doesNotContain("webroot");
        Api.as("dave").get("/api/v1/images/" + image).then().statusCode(404);
        Response refused = Api.as("dave").body(Map.of("name", "stolen", "kind", "jail", "image", "webroot",
                "type", "j1.nano")).post("/api/v1/instances");
        assertEquals(400, refused.statusCode(), refused.asString());
        assertEquals("unknown_image", refused.path("error"));
        upload("dave", image, "evil", data, Map.of()).then().statusCode(404);
        Api.as("dave").body(Map.of("tenant", "globex")).post("/api/v1/images/" + image + "/shares").then().statusCode(404);

        // a share is an offer until the other tenant's admin accepts it; offering reveals no tenant
        Response offered = Api.as("alice").body(Map.of("tenant", "globex")).post("/api/v1/images/" + image + "/shares");
        assertEquals(200, offered.statusCode(), offered.asString());
        assertEquals(List.of(), offered.path("sharedWith"), "not accepted yet");
        Response nobody = Api.as("alice").body(Map.of("tenant", "no-such-tenant")).post("/api/v1/images/" + image + "/shares");
        assertEquals(200, nobody.statusCode(), "an unknown tenant answers alike: " + nobody.asString());
        assertEquals((Object) offered.path("sharedWith"), nobody.path("sharedWith"));
        assertThat(Api.as("dave").get("/api/v1/images").<List<String>>path("items.name")).as("not before it is accepted")
                .doesNotContain("webroot");
        Api.as("dave").get("/api/v1/images/" + image).then().statusCode(404);
        assertThat(Api.as("dave").get("/api/v1/images/offers").<List<String>>path("items.image")).contains(image);
        assertEquals("acme", Api.as("dave").get("/api/v1/images/offers").path("items.find { it.image == '" + image
                + "' }.from"));
        Api.as("dave").post("/api/v1/images/" + image + "/accept").then().statusCode(403);
        Api.as("alice").post("/api/v1/images/" + image + "/accept").then().statusCode(404);
        Response accepted = Api.as("carol").post("/api/v1/images/" + image + "/accept");
        assertEquals(200, accepted.statusCode(), accepted.asString());
        Api.as("carol").post("/api/v1/images/" + image + "/accept").then().statusCode(404);
        Response shared = Api.as("alice").get("/api/v1/images/" + image);
        assertEquals("shared", shared.path("visibility"));
        assertEquals(List.of("globex"), shared.path("sharedWith"));
        assertThat(Api.as("dave").get("/api/v1/images").<List<String>>path("items.name")).contains("webroot");
        assertEquals(200, Api.as("dave").get("/api/v1/images/" + image).statusCode());
        String theirs = createJail("dave", "webroot");
        assertEquals("webroot-1", build(theirs), "the other tenant's jail runs the shared image");
        Api.as("dave").body(Map.of("channel", "x", "version", "1.0")).post("/api/v1/images/" + image + "/channels")
                .then().statusCode(403);

        Response inUse = Api.as("alice").delete("/api/v1/images/" + image);
        assertEquals(409, inUse.statusCode(), inUse.asString());
        assertEquals("image_version_in_use", inUse.path("error"));
        delete("dave", theirs);
        delete("bob", jail);
        Api.as("alice").delete("/api/v1/images/" + image).then().statusCode(204);
        assertThat(jails().storage().exists(jails().storage().imageDataset(image))).as("the dataset is gone").isFalse();
    }

    @Test
    @Order(3)
    void maliciousArchivesAreRefusedAndLeaveNothingBehind() throws IOException {
        String image = createImage("alice", "hostile");
        ZfsStorage storage = jails().storage();
        Map<String, Consumer<TarArchiveOutputStream>> archives = Map.of(
                "path_traversal", tar -> file(tar, "etc/../../../../tmp/escaped", "x"),
                "link_escape", tar -> {
                    symlink(tar, "etc", "../../../../etc");
                    file(tar, "etc/passwd-escaped", "x");
                },
                "device_node", tar -> device(tar, "dev/kmem", 1, 2),
                "too_large", tar -> zeros(tar, "bomb", 320L << 20));
        for (Map.Entry<String, Consumer<TarArchiveOutputStream>> archive : archives.entrySet()) {
            byte[] data = Tarballs.gzip(archive.getValue());
            Response refused = upload("alice", image, "1", data, Map.of("sha256", Tarballs.sha256(data)));
            assertThat(refused.statusCode()).as(archive.getKey() + ": " + refused.asString()).isIn(413, 422);
            assertEquals("image_refused", refused.path("error"), refused.asString());
            assertEquals(archive.getKey(), refused.path("details.reason"), refused.asString());
            assertNothingLeft(image, storage);
        }
        byte[] absolute = Tarballs.gzip(tar -> {
            try {
                var entry = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("/etc/cron.d/evil", true);
                entry.setSize(1);
                tar.putArchiveEntry(entry);
                tar.write('x');
                tar.closeArchiveEntry();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        Response refused = upload("alice", image, "1", absolute, Map.of());
        assertEquals(422, refused.statusCode(), refused.asString());
        assertEquals("absolute_path", refused.path("details.reason"));
        assertNothingLeft(image, storage);

        byte[] good = rootfs("good");
        Response mismatch = upload("alice", image, "1", good, Map.of("sha256", "0".repeat(64)));
        assertEquals(422, mismatch.statusCode(), mismatch.asString());
        assertEquals("checksum_mismatch", mismatch.path("error"));
        assertNothingLeft(image, storage);

        Response shortUpload = upload("alice", image, "1", Arrays.copyOf(good, good.length / 2),
                Map.of("size", good.length));
        assertEquals(400, shortUpload.statusCode(), shortUpload.asString());
        assertEquals("upload_truncated", shortUpload.path("error"));
        assertNothingLeft(image, storage);

        byte[] cut = Arrays.copyOf(good, good.length / 2);
        Response truncated = upload("alice", image, "1", cut, Map.of("sha256", Tarballs.sha256(cut)));
        assertEquals(422, truncated.statusCode(), truncated.asString());
        assertEquals("truncated", truncated.path("details.reason"));
        assertNothingLeft(image, storage);

        // A refusal of a later version leaves the earlier one as it was.
        assertEquals(201, upload("alice", image, "1", good, Map.of()).statusCode());
        byte[] traversal = Tarballs.gzip(tar -> file(tar, "../escaped", "x"));
        assertEquals(422, upload("alice", image, "2", traversal, Map.of()).statusCode());
        assertEquals(List.of(1), storage.imageVersions(image));
        assertEquals(List.of("1"), Api.as("alice").get("/api/v1/images/" + image).path("versions.version"));
        assertThat(Path.of("/tmp/escaped")).doesNotExist();
        Api.as("alice").delete("/api/v1/images/" + image).then().statusCode(204);
    }

    private static void assertNothingLeft(String image, ZfsStorage storage) throws IOException {
        assertThat(storage.exists(storage.imageDataset(image))).as("no dataset left").isFalse();
        assertEquals(List.of(), Api.as("alice").get("/api/v1/images/" + image).path("versions"));
        Path incoming = Path.of("target/test-data/images/incoming");
        if (Files.isDirectory(incoming)) {
            try (Stream<Path> files = Files.list(incoming)) {
                assertThat(files).as("no upload left behind").isEmpty();
            }
        }
    }

    @Test
    @Order(4)
    void movingAChannelChangesNewInstancesNotExistingOnes() {
        String image = createImage("alice", "app");
        assertEquals(201, upload("alice", image, "1.0", rootfs("app-1.0"), Map.of("channels", "1,1/stable")).statusCode());
        assertEquals(201, upload("alice", image, "1.1", rootfs("app-1.1"), Map.of("channels", "1/edge")).statusCode());
        Map<String, String> channels = Api.as("alice").get("/api/v1/images/" + image).path("channels");
        assertEquals(Map.of("latest", "1.1", "1", "1.0", "1/stable", "1.0", "1/edge", "1.1"), channels);

        String before = createJail("bob", "app/1/stable");
        assertEquals("1.0", Api.as("bob").get("/api/v1/instances/" + before).path("imageVersion"));
        assertEquals("app-1.0", build(before));

        Response moved = Api.as("alice").body(Map.of("channel", "1/stable", "version", "1.1"))
                .post("/api/v1/images/" + image + "/channels");
        assertEquals(200, moved.statusCode(), moved.asString());
        String after = createJail("bob", "app/1/stable");
        assertEquals("1.1", Api.as("bob").get("/api/v1/instances/" + after).path("imageVersion"));
        assertEquals("app-1.1", build(after), "a new instance of the channel gets the new version");

        Response restarted = Api.as("bob").post("/api/v1/instances/" + before + "/restart");
        succeed("bob", restarted.path("id"));
        assertEquals("1.0", Api.as("bob").get("/api/v1/instances/" + before).path("imageVersion"));
        assertEquals("app-1.0", build(before), "the existing instance still runs the version it came from");

        String pinned = createJail("bob", "app@1.0");
        assertEquals("app-1.0", build(pinned));
        Response version = Api.as("alice").get("/api/v1/images/" + image);
        assertEquals(2, (int) version.path("versions.find { it.version == '1.0' }.instances"));
        assertEquals(1, (int) version.path("versions.find { it.version == '1.1' }.instances"));
        Response inUse = Api.as("alice").delete("/api/v1/images/" + image + "/versions/1.0");
        assertEquals(409, inUse.statusCode(), inUse.asString());
        assertEquals(400, Api.as("bob").body(Map.of("name", "nochan", "kind", "jail", "image", "app/2",
                "type", "j1.nano")).post("/api/v1/instances").statusCode());

        for (String instance : List.of(before, after, pinned)) {
            delete("bob", instance);
        }
        Api.as("alice").delete("/api/v1/images/" + image).then().statusCode(204);
    }

    @Test
    @Order(5)
    void aDebianRootFileSystemFromTheBuildCommandBootsAsAJail() throws IOException {
        Path archive = Path.of("data/images/built-in/debian-12.tar.zst");
        if (!Files.isRegularFile(archive)) {
            System.err.println("SKIPPED aDebianRootFileSystemFromTheBuildCommandBootsAsAJail: no " + archive
                    + " (build it: bash scripts/build-image.sh debian-12)");
        }
        Assumptions.assumeTrue(Files.isRegularFile(archive), "no " + archive);
        byte[] data = Files.readAllBytes(archive);
        String image = createImage("alice", "debian");
        Response uploaded = upload("alice", image, "12", data, Map.of("sha256", Tarballs.sha256(data),
                "format", "tar.zst", "channels", "12,12/stable"));
        assertEquals(201, uploaded.statusCode(), uploaded.asString());
        String jail = createJail("bob", "debian/12/stable");
        assertEquals("running", Api.as("bob").get("/api/v1/instances/" + jail).path("state"));
        assertThat(jails().exec(UUID.fromString(jail), "cat", "/etc/debian_version").stdout().strip()).startsWith("12.");
        assertThat(jails().exec(UUID.fromString(jail), "ps", "-e", "-o", "pid,comm").stdout()).containsPattern("\\s1 systemd");
        delete("bob", jail);
        Api.as("alice").delete("/api/v1/images/" + image).then().statusCode(204);
    }

    @Test
    @Order(6)
    void vmImagesFromAKernelOrADiskAreCheckedAndBoot() throws Exception {
        Path guest = Path.of("vmm-native/build/guests/idle.elf");
        if (!Files.isRegularFile(guest)) {
            System.err.println("SKIPPED vmImagesFromAKernelOrADiskAreCheckedAndBoot: no " + guest + " (make -C vmm-native)");
        }
        Assumptions.assumeTrue(Files.isRegularFile(guest), "no mvm test guest (make -C vmm-native)");
        Response created = Api.as("alice").body(Map.of("name", "idle", "kind", "vm", "os", "mvm-test", "boot", "kernel"))
                .post("/api/v1/images");
        assertEquals(201, created.statusCode(), created.asString());
        String image = created.path("id");
        byte[] kernel = Files.readAllBytes(guest);
        byte[] stray = Tarballs.gzip(tar -> {
            Tarballs.file(tar, "kernel", "x");
            Tarballs.file(tar, "etc/passwd", "root::0:0::/:/bin/sh");
        });
        Response refused = upload("alice", image, "1", stray, Map.of("format", "kernel"));
        assertEquals(422, refused.statusCode(), refused.asString());
        assertEquals("unexpected_entry", refused.path("details.reason"));
        byte[] linked = Tarballs.gzip(tar -> {
            Tarballs.file(tar, "kernel", "x");
            Tarballs.symlink(tar, "initrd", "/etc/shadow");
        });
        Response link = upload("alice", image, "1", linked, Map.of("format", "kernel"));
        assertEquals("unexpected_entry", link.path("details.reason"), "an initrd linking to a host file: " + link.asString());
        byte[] archive = Tarballs.gzip(tar -> {
            var entry = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("kernel");
            entry.setSize(kernel.length);
            try {
                tar.putArchiveEntry(entry);
                tar.write(kernel);
                tar.closeArchiveEntry();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        Response uploaded = upload("alice", image, "1", archive, Map.of("format", "kernel", "cmdline", "console=ttyS0"));
        assertEquals(201, uploaded.statusCode(), uploaded.asString());
        // mvm boots it where there is KVM; elsewhere the host gives it to QEMU's emulation
        Response accepted = Api.as("bob").body(Map.of("name", "idle-vm", "kind", "vm", "image", "idle",
                "type", "v1.nano", "start", true)).post("/api/v1/instances");
        assertEquals(202, accepted.statusCode(), accepted.asString());
        succeed("bob", accepted.path("id"));
        String vm = accepted.path("target");
        assertEquals("running", Api.as("bob").get("/api/v1/instances/" + vm).path("state"));
        assertEquals(io.multiplicity.agent.vm.KvmHost.usable() ? "mvm" : "qemu",
                ((Agent) agent()).vms().hypervisorOf(UUID.fromString(vm)));
        delete("bob", vm);
        Api.as("alice").delete("/api/v1/images/" + image).then().statusCode(204);

        Path work = Files.createTempDirectory(Path.of("target"), "disks");
        Path qcow2 = work.resolve("disk.qcow2");
        Path backed = work.resolve("backed.qcow2");
        io.multiplicity.agent.support.Command.run("qemu-img", "create", "-q", "-f", "qcow2", qcow2.toString(), "32M").check();
        io.multiplicity.agent.support.Command.run("qemu-img", "create", "-q", "-f", "qcow2", "-b", "/etc/passwd", "-F", "raw",
                backed.toString()).check();
        String disks = Api.as("alice").body(Map.of("name", "disk", "kind", "vm", "os", "linux", "boot", "firmware"))
                .post("/api/v1/images").then().statusCode(201).extract().path("id");
        Response external = upload("alice", disks, "1", Files.readAllBytes(backed), Map.of("format", "qcow2"));
        assertEquals(422, external.statusCode(), external.asString());
        assertEquals("external_file", external.path("details.reason"), "a qcow2 naming a host file is refused");
        Response wrongFormat = upload("alice", disks, "1", "not a disk at all".getBytes(), Map.of("format", "qcow2"));
        assertEquals("not_a_disk", wrongFormat.path("details.reason"), wrongFormat.asString());
        Response disk = upload("alice", disks, "1", Files.readAllBytes(qcow2), Map.of("format", "qcow2"));
        assertEquals(201, disk.statusCode(), disk.asString());
        assertEquals(32L << 20, ((Number) disk.path("versions[0].unpackedBytes")).longValue(), "its virtual size");
        Path converted = jails().storage().mountpoint(jails().storage().imageDataset(disks)).resolve("disk.raw");
        assertEquals(32L << 20, Files.size(converted), "converted to a raw disk");
        Api.as("alice").delete("/api/v1/images/" + disks).then().statusCode(204);
    }

    /**
     * A URL import is an operation: 202 at once, then its progress counts the bytes fetched of the
     * Content-Length; a wrong checksum fails it and a cancel stops it, with nothing left behind
     * either way. (It ran inside the HTTP request for up to 30 minutes and answered 201.)
     */
    @Test
    @Order(7)
    void importsComeOnlyFromAllowedUrlsAndAreChecked() throws Exception {
        byte[] rootfs = rootfs("from-url");
        java.util.concurrent.CountDownLatch slowStarted = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch releaseSlow = new java.util.concurrent.CountDownLatch(1);
        long slowLength = 64L << 20;
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", URL_PORT), 0);
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.createContext("/", exchange -> {
            if (exchange.getRequestURI().getPath().endsWith("/slow.tar.gz")) {
                // 1 MiB, then nothing until the test lets go: a download in the middle
                exchange.sendResponseHeaders(200, slowLength);
                try (var out = exchange.getResponseBody()) {
                    out.write(new byte[1 << 20]);
                    out.flush();
                    slowStarted.countDown();
                    releaseSlow.await(60, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException | IOException e) {
                    // the panel hung up after the cancel
                }
                return;
            }
            exchange.sendResponseHeaders(200, rootfs.length);
            try (var out = exchange.getResponseBody()) {
                out.write(rootfs);
            }
        });
        server.start();
        try {
            String image = createImage("alice", "fromurl");
            String allowed = "http://127.0.0.1:" + URL_PORT + "/images/rootfs.tar.gz";
            Response elsewhere = Api.as("alice").body(Map.of("url", "http://127.0.0.1:" + URL_PORT + "/private/x.tar.gz",
                    "version", "1", "format", "tar.gz", "sha256", Tarballs.sha256(rootfs)))
                    .post("/api/v1/images/" + image + "/versions/import");
            assertEquals(403, elsewhere.statusCode(), elsewhere.asString());
            assertEquals("url_not_allowed", elsewhere.path("error"));

            Response wrongSum = Api.as("alice").body(Map.of("url", allowed, "version", "1", "format", "tar.gz",
                    "sha256", "1".repeat(64))).post("/api/v1/images/" + image + "/versions/import");
            assertEquals(202, wrongSum.statusCode(), wrongSum.asString());
            assertEquals("image.import", wrongSum.path("kind"));
            assertThat(wrongSum.header("Location")).endsWith("/api/v1/operations/" + wrongSum.path("id"));
            Response failed = finished("alice", wrongSum.path("id"));
            assertEquals("failed", failed.path("state"), failed.asString());
            assertThat((String) failed.path("error")).contains("SHA-256");
            assertNothingLeft(image, jails().storage());

            Response slow = Api.as("alice").body(Map.of("url", "http://127.0.0.1:" + URL_PORT + "/images/slow.tar.gz",
                    "version", "1", "format", "tar.gz", "sha256", "2".repeat(64)))
                    .post("/api/v1/images/" + image + "/versions/import");
            assertEquals(202, slow.statusCode(), slow.asString());
            assertThat(slowStarted.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
            Response midway;
            do {
                sleep(200);
                midway = Api.as("alice").get("/api/v1/operations/" + slow.path("id"));
            } while (midway.path("progressDetail.bytesFetched") == null && Instant.now().isBefore(deadline));
            assertEquals("running", midway.path("state"), midway.asString());
            assertEquals(slowLength, ((Number) midway.path("progressDetail.bytesTotal")).longValue(),
                    "the total is the Content-Length");
            assertThat(((Number) midway.path("progressDetail.bytesFetched")).longValue()).isLessThan(slowLength);
            Api.as("alice").post("/api/v1/operations/" + slow.path("id") + "/cancel").then().statusCode(202);
            Response cancelled = finished("alice", slow.path("id"));
            assertEquals("cancelled", cancelled.path("state"), "cancelled while the server sent nothing: "
                    + cancelled.asString());
            releaseSlow.countDown();
            assertNothingLeft(image, jails().storage());

            double fetchedBefore = urlImportBytes();
            Response imported = Api.as("alice").body(Map.of("url", allowed, "version", "1", "format", "tar.gz",
                    "sha256", Tarballs.sha256(rootfs))).post("/api/v1/images/" + image + "/versions/import");
            assertEquals(202, imported.statusCode(), imported.asString());
            Response done = finished("alice", imported.path("id"));
            assertEquals("succeeded", done.path("state"), done.asString());
            assertEquals(100, (int) done.path("progress"));
            assertEquals(rootfs.length, ((Number) done.path("progressDetail.bytesFetched")).intValue());
            assertEquals(rootfs.length, ((Number) done.path("progressDetail.bytesTotal")).intValue());
            assertEquals(rootfs.length, urlImportBytes() - fetchedBefore, 0.5,
                    "the bytes fetched are counted on /q/metrics, by source");
            assertEquals(allowed, Api.as("alice").get("/api/v1/images/" + image).path("versions[0].source"));
            String jail = createJail("bob", "fromurl");
            assertEquals("from-url", build(jail));
            delete("bob", jail);
            Api.as("alice").delete("/api/v1/images/" + image).then().statusCode(204);
        } finally {
            releaseSlow.countDown();
            server.stop(0);
        }
    }

    /** {@code multiplicity_image_import_bytes_total{source="url"}} on /q/metrics, 0 before the first. */
    private static double urlImportBytes() {
        java.util.regex.Matcher value = java.util.regex.Pattern.compile(
                "multiplicity_image_import_bytes_total\\{source=\"url\"\\} ([0-9.E]+)")
                .matcher(io.restassured.RestAssured.given().get("/q/metrics").then().statusCode(200).extract().asString());
        return value.find() ? Double.parseDouble(value.group(1)) : 0;
    }

    @Test
    @Order(8)
    void anImportPastTheTenantsImageQuotaIsRefusedBeforeItReachesThePool() throws IOException {
        String acme = Api.as("admin").get("/api/v1/admin/tenants").path("items.find { it.slug == 'acme' }.id");
        String quota = "/api/v1/admin/quotas/" + acme;
        Map<String, Object> limits = new java.util.HashMap<>();
        Api.as("admin").get(quota).<Map<String, Map<String, Object>>>path("resources")
                .forEach((name, line) -> limits.put(name, line.get("limit")));
        int held = Api.as("alice").get("/api/v1/quota").path("resources.imageMiB.allocated");
        Map<String, Object> tight = new java.util.HashMap<>(limits);
        tight.put("imageMiB", held + 2);
        Api.as("admin").body(tight).put(quota).then().statusCode(202);
        String image = createImage("alice", "quotaimg");
        try {
            // The limit leaves between 2 and 3 MiB (what the tenant holds is rounded up to whole MiB).
            // Compresses to a few KiB, unpacks to 3.5 MiB: refused while the archive is checked, before any write.
            byte[] big = Tarballs.gzip(tar -> zeros(tar, "data", (7L << 20) / 2));
            Response refused = upload("alice", image, "1", big, Map.of());
            assertEquals(409, refused.statusCode(), refused.asString());
            assertEquals("quota_exceeded", refused.path("error"));
            assertEquals("imageMiB", refused.path("details.resource"));
            assertEquals(held + 2, (int) refused.path("details.limit"));
            assertNothingLeft(image, jails().storage());
            assertEquals(held, (int) Api.as("alice").get("/api/v1/quota").path("resources.imageMiB.allocated"));

            // What fits is imported and counted; the next one that would pass the limit is refused.
            byte[] small = Tarballs.gzip(tar -> zeros(tar, "data", 1L << 20));
            assertEquals(201, upload("alice", image, "1", small, Map.of()).statusCode());
            assertEquals(held + 1, (int) Api.as("alice").get("/api/v1/quota").path("resources.imageMiB.allocated"));
            // At most 2 MiB are left now.
            byte[] second = Tarballs.gzip(tar -> zeros(tar, "data", (5L << 20) / 2));
            Response over = upload("alice", image, "2", second, Map.of());
            assertEquals(409, over.statusCode(), over.asString());
            assertEquals("imageMiB", over.path("details.resource"));
            assertEquals(List.of("1"), Api.as("alice").get("/api/v1/images/" + image).path("versions.version"));
        } finally {
            Api.as("admin").body(limits).put(quota).then().statusCode(202);
            Api.as("alice").delete("/api/v1/images/" + image).then().statusCode(204);
        }
    }

    static Response finished(String user, String operation) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
        while (Instant.now().isBefore(deadline)) {
            Response response = Api.as(user).get("/api/v1/operations/" + operation);
            if (List.of("succeeded", "failed", "cancelled").contains((String) response.path("state"))) {
                return response;
            }
            sleep(200);
        }
        throw new AssertionError("operation " + operation + " did not finish");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

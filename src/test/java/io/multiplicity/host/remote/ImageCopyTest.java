package io.multiplicity.host.remote;

import static io.multiplicity.host.remote.FleetQueries.awaitImage;
import static io.multiplicity.host.remote.FleetQueries.hostOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.multiplicity.agent.jail.JailHost;
import io.multiplicity.agent.storage.ZfsStorage;
import io.multiplicity.agent.support.Command;
import io.multiplicity.support.Api;
import io.multiplicity.support.Operations;
import io.multiplicity.support.Tarballs;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.config.HttpClientConfig;
import io.restassured.response.Response;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Image versions reach the hosts that need them. One control plane and two host agents, each a
 * process of its own in a network namespace of its own with its own pool: an image imported on the
 * image host (the first enrolled) is copied to the second host when an instance of it is placed
 * there, by zfs send | zfs receive between the agents, once (concurrent creates included), the same
 * snapshot on both (the same ZFS guid), and the jail runs from it; a later version travels as what it adds
 * to the one the host holds; placement prefers the host that holds
 * the version when both fit; a copy that fails (zfs refuses it, or no host holding the version
 * answers) leaves nothing of the image on the host and fails the create with the reason, its quota
 * released; deleting the version destroys it on both hosts.
 */
@QuarkusTest
@TestProfile(RemoteAgentProfile.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ImageCopyTest {

    @TestHTTPResource("/")
    java.net.URL base;

    static AgentProcessHandle imageHost;
    static AgentProcessHandle second;
    static String imageHostId;
    static String secondId;
    /** The imported image: its id (the key its dataset is named by on the hosts). */
    static String image;
    static final List<String> jails = new ArrayList<>();

    @BeforeAll
    static void requireJails() throws Exception {
        String missing = JailHost.unavailableReason();
        if (missing != null) {
            System.err.println("SKIPPED ImageCopyTest: real jails cannot run on this machine: " + missing);
        }
        Assumptions.assumeTrue(missing == null, "real jails cannot run on this machine: " + missing);
        imageHost = new AgentProcessHandle(RemoteAgentProfile.SUFFIX + "i", 0);
        second = new AgentProcessHandle(RemoteAgentProfile.SUFFIX + "s", 1);
    }

    @AfterAll
    static void removeAgents() throws Exception {
        for (AgentProcessHandle agent : new AgentProcessHandle[] {imageHost, second}) {
            if (agent != null) {
                agent.remove();
            }
        }
    }

    @Test
    @Order(1)
    void twoAgentsEnrolTheFirstHoldsTheImages() throws Exception {
        // One after the other: the image host is the longest-enrolled host the control plane reaches.
        imageHost.start(imageHost.controlPlane(base), token());
        imageHostId = imageHost.awaitHost("").toString();
        second.start(second.controlPlane(base), token());
        secondId = second.awaitHost("").toString();
        FleetQueries.retireOthers(java.util.List.of(imageHostId, secondId));
        awaitImage("busybox");
    }

    @Test
    @Order(2)
    void anImageIsImportedOnTheImageHostOnly() {
        image = importImage("copied", "marker of the copied image\n", 0);
        assertTrue(hasVersion(imageHost, image, 1), "the image host holds version 1");
        assertFalse(datasetExists(second, image), "the second host holds nothing of it");
    }

    @Test
    @Order(3)
    void placementPrefersTheHostHoldingTheVersionWhenBothFit() {
        // Running jails hold their host's memory, which spread compares. Every host builds busybox
        // itself: a busybox jail on the second host makes it no preferred host for busybox.
        cordon(imageHostId, true);
        String onSecond = create("busybox", true);
        cordon(imageHostId, false);
        assertEquals(secondId, hostOf(onSecond));
        String onImageHost = create("busybox", true);
        assertEquals(imageHostId, hostOf(onImageHost), "a built-in image gives no host a preference");
        // Equal hosts come by name: the image host takes the next, and spread would now pick the second.
        String tie = create("busybox", true);
        assertEquals(imageHostId, hostOf(tie));
        Response placed = created("copied", true);
        assertEquals(imageHostId, hostOf(placed.path("target")), "the host holding the version wins over the emptier one");
        assertNull(placed.path("progressDetail.imageCopiedFrom"), "nothing was copied: " + placed.asString());
        assertFalse(datasetExists(second, image), "the second host still holds nothing of it");
        String next = create("busybox", true);
        assertEquals(secondId, hostOf(next), "without a preference spread picks the emptier host");
        for (String jail : List.of(onSecond, onImageHost, tie, placed.<String>path("target"), next)) {
            delete(jail);
        }
    }

    @Test
    @Order(4)
    void aHostThatLacksTheVersionGetsItOnceBeforeTheJailIsCreated() throws Exception {
        cordon(imageHostId, true);
        try {
            // Two creates at once of the same version on the same host: one copy.
            Response first = accept("copied", true);
            Response other = accept("copied", true);
            List<Response> done = List.of(Operations.finished("bob", first.path("id"), Duration.ofSeconds(180)),
                    Operations.finished("bob", other.path("id"), Duration.ofSeconds(180)));
            int copies = 0;
            for (Response operation : done) {
                assertEquals("succeeded", operation.path("state"), operation.asString());
                if (operation.path("progressDetail.imageCopiedFrom") != null) {
                    copies++;
                    assertEquals("remote-" + imageHost.pool, operation.path("progressDetail.imageCopiedFrom"));
                    assertEquals(new ZfsStorage(imageHost.pool).imageVersionGuid(image, 1),
                            operation.path("progressDetail.imageGuid"), "the copy names the snapshot it checked");
                }
            }
            assertEquals(1, copies, "the version is copied once: " + done.get(0).asString() + " " + done.get(1).asString());
            assertTrue(hasVersion(second, image, 1), "the version arrived as @v1");
            assertEquals(new ZfsStorage(imageHost.pool).imageVersionGuid(image, 1),
                    new ZfsStorage(second.pool).imageVersionGuid(image, 1), "the same snapshot on both hosts");
            assertEquals("off", property(second, "multiplicity/images/" + image, "setuid"),
                    "mounted as any image dataset is");
            for (String jail : List.<String>of(first.path("target"), other.path("target"))) {
                jails.add(jail);
                assertEquals(secondId, hostOf(jail));
                assertEquals("running", Api.as("bob").get("/api/v1/instances/" + jail).path("state"));
                Command.Result marker = Command.run("runc", "--root", second.dataDir.resolve("run").resolve("oci")
                        .toString(), "exec", jail, "cat", "/etc/marker");
                assertTrue(marker.ok(), "runc exec in " + jail + ": " + marker);
                assertEquals("marker of the copied image\n", marker.stdout(), "the jail runs on the image's files");
            }

            String guid = property(second, "multiplicity/images/" + image + "@v1", "guid");
            Response third = created("copied", false);
            assertEquals(secondId, hostOf(third.path("target")));
            assertNull(third.path("progressDetail.imageCopiedFrom"), "a later instance needs no copy: " + third.asString());
            assertEquals(guid, property(second, "multiplicity/images/" + image + "@v1", "guid"),
                    "the copy on the host is the one received first");
            jails.add(third.path("target"));
            for (String jail : jails) {
                delete(jail);
            }
        } finally {
            cordon(imageHostId, false);
        }
    }

    @Test
    @Order(5)
    void aLaterVersionTravelsAsWhatItAddsToTheOneTheHostHolds() throws Exception {
        upload(image, "2", "marker of version 2\n", 0);
        cordon(imageHostId, true);
        try {
            Response created = created("copied", true);
            String jail = created.path("target");
            assertEquals(secondId, hostOf(jail));
            assertEquals("remote-" + imageHost.pool, created.path("progressDetail.imageCopiedFrom"), created.asString());
            assertTrue(hasVersion(second, image, 1) && hasVersion(second, image, 2), "both versions on the host");
            assertEquals(new ZfsStorage(imageHost.pool).imageVersionGuid(image, 2), new ZfsStorage(second.pool)
                    .imageVersionGuid(image, 2), "the same version 2 on both hosts");
            Command.Result marker = Command.run("runc", "--root", second.dataDir.resolve("run").resolve("oci")
                    .toString(), "exec", jail, "cat", "/etc/marker");
            assertEquals("marker of version 2\n", marker.stdout(), marker.toString());
            delete(jail);
        } finally {
            cordon(imageHostId, false);
        }
    }

    @Test
    @Order(6)
    void aCopyTheHostRefusesLeavesNothingAndFailsTheCreate() throws Exception {
        String large = importImage("large", "marker of the large image\n", 12 << 20);
        String images = second.pool + "/multiplicity/images";
        List<Object> quotaBefore = heldQuota();
        cordon(imageHostId, true);
        // Room for less than the image: the receive runs out of space on the way.
        long used = Long.parseLong(Command.run("zfs", "get", "-H", "-p", "-o", "value", "used", images).stdout().strip());
        assertTrue(Command.run("zfs", "set", "quota=" + (used + (4 << 20)), images).ok());
        try {
            Response failed = Operations.finished("bob", accept("large", false).path("id"), Duration.ofSeconds(180));
            assertEquals("failed", failed.path("state"), failed.asString());
            String error = failed.path("error");
            System.out.println("ImageCopyTest: the copy the host refused failed the create with: " + error);
            assertThat(error).contains("copying version 1 of image large from host remote-" + imageHost.pool)
                    .contains("zfs receive");
            assertFalse(datasetExists(second, large), "nothing of the image is left on the host");
            assertEquals(quotaBefore, heldQuota(), "the failed create left no instance and holds no quota");
        } finally {
            Command.run("zfs", "set", "quota=none", images);
        }
        try {
            Response again = created("large", false);
            assertEquals(secondId, hostOf(again.path("target")));
            assertTrue(hasVersion(second, large, 1), "with room the same copy succeeds");
            delete(again.path("target"));
        } finally {
            cordon(imageHostId, false);
        }
    }

    @Test
    @Order(7)
    void deletingAVersionDestroysItOnEveryHostThatHoldsIt() {
        String throwaway = importImage("throwaway", "marker of a short-lived image\n", 0);
        cordon(imageHostId, true);
        try {
            Response created = created("throwaway", false);
            assertEquals(secondId, hostOf(created.path("target")));
            assertTrue(hasVersion(second, throwaway, 1));
            delete(created.path("target"));
        } finally {
            cordon(imageHostId, false);
        }
        Response gone = Api.as("bob").delete("/api/v1/images/" + throwaway + "/versions/1");
        assertEquals(204, gone.statusCode(), gone.asString());
        assertFalse(hasVersion(imageHost, throwaway, 1), "gone from the image host");
        assertFalse(hasVersion(second, throwaway, 1), "and from the host it was copied to");
    }

    @Test
    @Order(8)
    void aCopyWithNoHostToSendItFailsTheCreateWithTheReason() throws Exception {
        String lost = importImage("lost", "marker of an image whose host went away\n", 0);
        List<Object> quotaBefore = heldQuota();
        cordon(imageHostId, true);
        imageHost.stop();
        Response failed = Operations.finished("bob", accept("lost", false).path("id"), Duration.ofSeconds(180));
        assertEquals("failed", failed.path("state"), failed.asString());
        String error = failed.path("error");
        System.out.println("ImageCopyTest: the copy with its source agent stopped failed the create with: " + error);
        assertThat(error).contains("version 1 of image lost cannot reach host remote-" + second.pool
                + ": no host that holds it answers");
        assertFalse(datasetExists(second, lost), "nothing of the image is on the host");
        assertEquals(quotaBefore, heldQuota(), "the failed create left no instance and holds no quota");
    }

    private String token() {
        Response token = Api.as("admin").post("/api/v1/admin/hosts/enrolment-tokens");
        assertEquals(201, token.statusCode(), token.asString());
        return token.path("token");
    }

    /**
     * Creates bob's jail image {@code name} and imports version 1 of it: the image host's busybox
     * with {@code etc/marker}, and {@code randomBytes} of random data that does not compress.
     */
    private static String importImage(String name, String marker, int randomBytes) {
        Response created = Api.as("bob").body(Map.of("name", name, "kind", "jail", "os", "busybox",
                "description", "an image copied between hosts")).post("/api/v1/images");
        assertEquals(201, created.statusCode(), created.asString());
        String id = created.path("id");
        upload(id, "1", marker, randomBytes);
        return id;
    }

    /** Imports a version of image {@code id}: see {@link #importImage}. */
    private static void upload(String id, String version, String marker, int randomBytes) {
        ZfsStorage storage = new ZfsStorage(imageHost.pool);
        Path root = storage.mountpoint(storage.imageDataset("busybox"));
        byte[] data = Tarballs.gzip(tar -> {
            Tarballs.tree(tar, root, storage.imageIdBase("busybox"), Map.of("etc/marker", marker));
            if (randomBytes > 0) {
                byte[] random = new byte[randomBytes];
                ThreadLocalRandom.current().nextBytes(random);
                TarArchiveEntry entry = new TarArchiveEntry("filler");
                entry.setSize(random.length);
                entry.setMode(0644);
                Tarballs.put(tar, entry, random);
            }
        });
        Response uploaded = Api.as("bob").config(RestAssured.config().httpClient(HttpClientConfig.httpClientConfig()
                        .setParam("http.connection.timeout", 30_000).setParam("http.socket.timeout", 300_000)))
                .contentType("application/octet-stream").queryParam("version", version)
                .queryParam("sha256", Tarballs.sha256(data)).body(data).post("/api/v1/images/" + id + "/versions");
        assertEquals(201, uploaded.statusCode(), uploaded.asString());
    }

    private static Response accept(String imageName, boolean start) {
        Response accepted = Api.as("bob").body(Map.of("name", "copy-" + UUID.randomUUID().toString().substring(0, 6),
                "kind", "jail", "image", imageName, "type", "j1.nano", "start", start)).post("/api/v1/instances");
        assertEquals(202, accepted.statusCode(), accepted.asString());
        return accepted;
    }

    /** Creates a jail and answers its id once its create succeeded. */
    private static String create(String imageName, boolean start) {
        return created(imageName, start).path("target");
    }

    /** Creates a jail and answers its create operation, which must have succeeded. */
    private static Response created(String imageName, boolean start) {
        Response finished = Operations.finished("bob", accept(imageName, start).path("id"), Duration.ofSeconds(180));
        assertEquals("succeeded", finished.path("state"), finished.asString());
        return finished;
    }

    private static void delete(String jail) {
        Response deleted = Api.as("bob").delete("/api/v1/instances/" + jail);
        assertEquals(202, deleted.statusCode(), deleted.asString());
        assertEquals("succeeded", Operations.finished("bob", deleted.path("id"), Duration.ofSeconds(60)).path("state"));
    }

    private static void cordon(String hostId, boolean cordoned) {
        Response answer = Api.as("admin").post("/api/v1/admin/hosts/" + hostId + (cordoned ? "/cordon" : "/uncordon"));
        assertThat(answer.statusCode()).as(answer.asString()).isIn(202, 409);
    }

    private static boolean hasVersion(AgentProcessHandle agent, String key, int version) {
        return Command.run("zfs", "list", "-H", "-t", "snapshot", agent.pool + "/multiplicity/images/" + key + "@v"
                + version).ok();
    }

    private static boolean datasetExists(AgentProcessHandle agent, String key) {
        return Command.run("zfs", "list", "-H", "-t", "all", agent.pool + "/multiplicity/images/" + key).ok();
    }

    private static String property(AgentProcessHandle agent, String dataset, String name) {
        Command.Result value = Command.run("zfs", "get", "-H", "-o", "value", name, agent.pool + "/" + dataset);
        assertTrue(value.ok(), value.toString());
        return value.stdout().strip();
    }

    /** What bob's tenant has: its instances listed, and instances, vCPUs and memory allocated. */
    private static List<Object> heldQuota() {
        Response quota = Api.as("bob").get("/api/v1/quota");
        List<Object> held = new ArrayList<>();
        held.add(Api.as("bob").get("/api/v1/instances?limit=100").<List<?>>path("items").size());
        for (String resource : List.of("instances", "vcpus", "memoryMiB")) {
            held.add(quota.path("resources." + resource + ".allocated"));
        }
        return held;
    }
}

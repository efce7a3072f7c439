package io.multiplicity.accounting;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.multiplicity.host.contract.InstanceUsage;
import io.multiplicity.support.Api;
import io.multiplicity.support.RecordingHostDriver;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * The tenant's view of its quota, the admin's view of the same quota and the admin's view of the
 * host agree at every moment while an instance is created, resized, stopped, started and deleted: whenever
 * two reads of the tenant's view and of the host bracket the others without a change in between,
 * the admin's quota view equals the tenant's, and the host's allocation equals the sum over every
 * tenant's quota view (all on the one test host, with vCPU and memory limits on running instances).
 */
@QuarkusTest
@TestProfile(MeteredHostProfile.class)
class QuotaViewsAgreeTest {

    static final long GIB = 1L << 30;
    static final Logger LOG = Logger.getLogger(QuotaViewsAgreeTest.class);

    @Inject
    MeteringSampler sampler;

    private record Moment(Map<String, Object> tenant, Map<String, Object> host) {
    }

    @Test
    void tenantAndAdminViewsAgreeThroughCreateResizeStopStartAndDelete() throws Exception {
        String globex = BillingTest.tenantId("globex");
        List<String> tenants = Api.as("admin").get("/api/v1/admin/tenants?limit=500").then().statusCode(200).extract()
                .path("items.id");
        String host = Api.as("admin").get("/api/v1/admin/hosts").then().statusCode(200).extract()
                .path("items.find { it.name == 'test-host' }.id");
        Api.as("admin").body(Map.of("memoryRatio", 8, "cpuRatio", 64)).patch("/api/v1/admin/hosts/" + host)
                .then().statusCode(202);
        for (String tenant : tenants) {
            Api.as("admin").body(Map.of("instances", 100_000, "vcpus", 100_000, "memoryMiB", 1L << 30,
                    "diskGiB", 1L << 30, "runningOnly", true)).put("/api/v1/admin/quotas/" + tenant)
                    .then().statusCode(202);
        }
        AtomicInteger agreeing = new AtomicInteger();
        AtomicInteger midOperation = new AtomicInteger();
        RecordingHostDriver.delay = Duration.ofMillis(1500);  // slow host calls: the views are compared mid-operation
        try {
            Moment base = settled(globex, tenants, host, agreeing);

            String name = "views-" + UUID.randomUUID().toString().substring(0, 6);
            Response created = Api.as("dave").body(Map.of("name", name, "kind", "jail", "image", "busybox", "vcpus", 2,
                    "memoryMiB", 512, "diskGiB", 5, "start", true)).post("/api/v1/instances");
            assertEquals(202, created.statusCode(), created.asString());
            watch(created.path("id"), globex, tenants, host, agreeing, midOperation);
            UUID instance = UUID.fromString(created.path("target"));
            Moment running = settled(globex, tenants, host, agreeing);
            assertChange(base, running, 1, 2, 512, 5);

            Response resizing = Api.as("dave").body(Map.of("vcpus", 3, "memoryMiB", 1024, "diskGiB", 8))
                    .patch("/api/v1/instances/" + instance);
            assertEquals(202, resizing.statusCode(), resizing.asString());
            watch(resizing.path("id"), globex, tenants, host, agreeing, midOperation);
            Moment resized = settled(globex, tenants, host, agreeing);
            assertChange(base, resized, 1, 3, 1024, 8);

            watch(action("dave", instance, "stop"), globex, tenants, host, agreeing, midOperation);
            Moment stopped = settled(globex, tenants, host, agreeing);
            assertChange(base, stopped, 1, 0, 0, 8);

            watch(action("dave", instance, "start"), globex, tenants, host, agreeing, midOperation);
            Moment restarted = settled(globex, tenants, host, agreeing);
            assertChange(base, restarted, 1, 3, 1024, 8);

            // measured use reaches both views through metering
            MeteredHostProfile.USAGE.put(instance, new InstanceUsage(2 * GIB, 2 * GIB, GIB, 1.0, 300L << 20,
                    12_000_000_000L, 0, 0));
            sampler.sample();
            Moment measured = settled(globex, tenants, host, agreeing);
            assertEquals(300, used(measured, "memoryMiB"));
            assertEquals(2, used(measured, "diskGiB"));
            assertEquals(1, used(measured, "snapshotGiB"));

            Response deleted = Api.as("dave").delete("/api/v1/instances/" + instance);
            assertEquals(202, deleted.statusCode(), deleted.asString());
            watch(deleted.path("id"), globex, tenants, host, agreeing, midOperation);
            Moment gone = settled(globex, tenants, host, agreeing);
            assertChange(base, gone, 0, 0, 0, 0);
            assertNull(line(gone, "memoryMiB").get("used"), "nothing measured is left once it is deleted");
            MeteredHostProfile.USAGE.remove(instance);
        } finally {
            RecordingHostDriver.delay = Duration.ZERO;
            for (String tenant : tenants) {
                Api.as("admin").body(Map.of()).put("/api/v1/admin/quotas/" + tenant).then().statusCode(202);
            }
            Api.as("admin").body(Map.of("memoryRatio", 1.0, "cpuRatio", 4.0)).patch("/api/v1/admin/hosts/" + host)
                    .then().statusCode(202);
        }
        // how many comparisons fall inside an operation depends on the machine's load; each one that
        // does must agree like the settled ones
        assertThat(agreeing.get()).as("moments at which the views were compared").isGreaterThanOrEqualTo(7);
        LOG.infof("the tenant's, the admin's and the host's views agreed at all %d moments compared, %d of them"
                + " while an operation ran", agreeing.get(), midOperation.get());
    }

    /** Compares the views while the operation runs, and once more after it has finished. */
    private void watch(String operation, String globex, List<String> tenants, String host, AtomicInteger agreeing,
                       AtomicInteger midOperation) throws Exception {
        AtomicBoolean done = new AtomicBoolean();
        List<Throwable> failures = new ArrayList<>();
        Thread watcher = Thread.ofVirtual().start(() -> {
            try {
                while (!done.get()) {
                    if (compare(globex, tenants, host, agreeing) != null && !done.get()) {
                        midOperation.incrementAndGet();
                    }
                }
            } catch (Throwable e) {
                failures.add(e);
            }
        });
        BillingTest.waitFor(operation);
        done.set(true);
        watcher.join();
        if (!failures.isEmpty()) {
            throw new AssertionError("the views disagreed while " + operation + " ran", failures.getFirst());
        }
    }

    private Moment settled(String globex, List<String> tenants, String host, AtomicInteger agreeing) {
        for (int attempt = 0; attempt < 20; attempt++) {
            Moment moment = compare(globex, tenants, host, agreeing);
            if (moment != null) {
                return moment;
            }
        }
        throw new AssertionError("the views never held still");
    }

    /** One bracketed comparison; null when something changed while reading. */
    private static Moment compare(String globex, List<String> tenants, String host, AtomicInteger agreeing) {
        Map<String, Object> hostBefore = hostAllocation(host);
        Map<String, Object> tenantBefore = Api.as("dave").get("/api/v1/quota").then().statusCode(200).extract()
                .path("resources");
        Map<String, Object> admin = Api.as("admin").get("/api/v1/admin/quotas/" + globex).then().statusCode(200)
                .extract().path("resources");
        long vcpus = 0;
        long memory = 0;
        long disk = 0;
        for (String tenant : tenants) {
            Map<String, Object> view = tenant.equals(globex) ? admin : Api.as("admin")
                    .get("/api/v1/admin/quotas/" + tenant).then().statusCode(200).extract().path("resources");
            vcpus += allocated(view, "vcpus");
            memory += allocated(view, "memoryMiB");
            disk += allocated(view, "diskGiB");
        }
        Map<String, Object> tenantAfter = Api.as("dave").get("/api/v1/quota").then().statusCode(200).extract()
                .path("resources");
        Map<String, Object> hostAfter = hostAllocation(host);
        if (!tenantBefore.equals(tenantAfter) || !hostBefore.equals(hostAfter)) {
            return null;
        }
        assertEquals(tenantBefore, admin, "the admin's view of the quota is the tenant's");
        assertEquals(Map.of("vcpus", vcpus, "memoryMiB", memory, "diskGiB", disk), hostBefore,
                "the host's allocation is the sum of every tenant's");
        agreeing.incrementAndGet();
        return new Moment(tenantBefore, hostBefore);
    }

    private static Map<String, Object> hostAllocation(String host) {
        Response view = Api.as("admin").get("/api/v1/admin/hosts/" + host).then().statusCode(200).extract().response();
        return Map.of("vcpus", view.<Number>path("vcpus.allocated").longValue(),
                "memoryMiB", view.<Number>path("memoryMiB.allocated").longValue(),
                "diskGiB", view.<Number>path("storageGiB.allocated").longValue());
    }

    private static void assertChange(Moment base, Moment now, long instances, long vcpus, long memoryMiB, long diskGiB) {
        assertEquals(instances, allocated(now.tenant(), "instances") - allocated(base.tenant(), "instances"));
        assertEquals(vcpus, allocated(now.tenant(), "vcpus") - allocated(base.tenant(), "vcpus"));
        assertEquals(memoryMiB, allocated(now.tenant(), "memoryMiB") - allocated(base.tenant(), "memoryMiB"));
        assertEquals(diskGiB, allocated(now.tenant(), "diskGiB") - allocated(base.tenant(), "diskGiB"));
        assertEquals(vcpus, (long) now.host().get("vcpus") - (long) base.host().get("vcpus"));
        assertEquals(memoryMiB, (long) now.host().get("memoryMiB") - (long) base.host().get("memoryMiB"));
        assertEquals(diskGiB, (long) now.host().get("diskGiB") - (long) base.host().get("diskGiB"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> line(Moment moment, String resource) {
        return (Map<String, Object>) moment.tenant().get(resource);
    }

    private static long used(Moment moment, String resource) {
        return ((Number) line(moment, resource).get("used")).longValue();
    }

    @SuppressWarnings("unchecked")
    private static long allocated(Map<String, Object> resources, String resource) {
        return ((Number) ((Map<String, Object>) resources.get(resource)).get("allocated")).longValue();
    }

    private static String action(String user, UUID instance, String action) {
        Response response = Api.as(user).post("/api/v1/instances/" + instance + "/" + action);
        assertEquals(202, response.statusCode(), response.asString());
        return response.path("id");
    }
}

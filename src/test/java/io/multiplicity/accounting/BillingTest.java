package io.multiplicity.accounting;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiplicity.common.Clock;
import io.multiplicity.host.contract.InstanceUsage;
import io.multiplicity.support.Api;
import io.multiplicity.support.RecordingHostDriver;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Rating with a controlled clock: a jail with 2 vCPUs and 1 GiB that runs 90 minutes and is stopped
 * for 30 is billed exactly 3 vCPU-hours and 1.5 GiB-hours; its disk and snapshots are GiB-month
 * fractions of March's 744 hours; the JSON, CSV and FOCUS exports carry the same lines and totals;
 * the totals survive the raw samples being rolled up and expired.
 */
@QuarkusTest
@TestProfile(MeteredHostProfile.class)
class BillingTest {

    static final Instant START = Instant.parse("2031-03-10T08:00:00Z");
    static final long GIB = 1L << 30;

    @Inject
    MeteringSampler sampler;

    @Inject
    MeteringRollups rollups;

    @Inject
    EntityManager em;

    final SettableClock clock = new SettableClock(START);

    @AfterEach
    void realTime() {
        Clock.useSystem();
        // the rollups of 2031 moved the watermarks; later tests meter in the present
        QuarkusTransaction.requiringNew().run(() -> {
            em.createNativeQuery("delete from metering_rollups").executeUpdate();
            em.createNativeQuery("update metering_watermarks set raw_from = '-infinity', hourly_from = '-infinity',"
                    + " rolled_up_to = '-infinity'").executeUpdate();
        });
    }

    @Test
    void aJailRunningNinetyMinutesAndStoppedThirtyIsBilledExactly() {
        RecordingHostDriver.reset();
        Clock.use(clock);
        String name = "billed-" + UUID.randomUUID().toString().substring(0, 6);
        String operation = Api.as("bob").body(Map.of("name", name, "kind", "jail", "image", "busybox", "vcpus", 2,
                "memoryMiB", 1024, "diskGiB", 10, "start", true)).post("/api/v1/instances")
                .then().statusCode(202).extract().path("id");
        UUID instance = UUID.fromString(waitFor(operation).path("target"));
        assertEquals("running", Api.as("bob").get("/api/v1/instances/" + instance).path("state"));

        // the host measures 2 GiB of snapshots and 1.5 CPU seconds a minute while it runs
        double cpu = 0;
        for (int minute = 1; minute <= 120; minute++) {
            clock.set(START.plus(Duration.ofMinutes(minute)));
            if (minute <= 90) {
                cpu += 1.5;
            }
            MeteredHostProfile.USAGE.put(instance, new InstanceUsage(3 * GIB, 3 * GIB, 2 * GIB, 1.0,
                    512L << 20, Math.round(cpu * 1e9), 1000L * minute, 100L * minute));
            assertThat(sampler.sample()).isGreaterThanOrEqualTo(1);
            if (minute == 90) {
                waitFor(Api.as("bob").post("/api/v1/instances/" + instance + "/stop").then().statusCode(202)
                        .extract().path("id"));
            }
        }
        waitFor(Api.as("bob").delete("/api/v1/instances/" + instance).then().statusCode(202).extract().path("id"));

        Response bill = Api.as("bob").get("/api/v1/billing?period=2031-03").then().statusCode(200).extract().response();
        assertEquals("acme", bill.path("tenant"));
        assertEquals("EUR", bill.path("currency"));
        assertEquals("2031-03-01T00:00:00Z", bill.path("from"));
        assertEquals("2031-04-01T00:00:00Z", bill.path("to"));
        Map<String, Map<String, Object>> lines = linesOf(bill, instance);
        assertEquals(Map.of("vcpu", "3.000000", "memory", "1.500000", "disk", "0.026882", "snapshot", "0.005376"),
                quantities(lines), "10 GiB × 2 h / 744 h and 2 GiB × 2 h / 744 h are GiB-month fractions");
        assertEquals("vCPU-hour", lines.get("vcpu").get("unit"));
        assertEquals("GiB-hour", lines.get("memory").get("unit"));
        assertEquals("GiB-month", lines.get("disk").get("unit"));
        assertEquals("GiB-month", lines.get("snapshot").get("unit"));
        // standard plan: 0.01 per vCPU-hour, 0.005 per GiB-hour, 0.04 and 0.02 per GiB-month
        assertAmount("0.030000", lines.get("vcpu").get("cost"));
        assertAmount("0.007500", lines.get("memory").get("cost"));
        assertAmount("0.001075", lines.get("disk").get("cost"));
        assertAmount("0.000108", lines.get("snapshot").get("cost"));
        assertEquals(START.toString(), lines.get("vcpu").get("chargeStart"));
        assertEquals(START.plus(Duration.ofMinutes(90)).toString(), lines.get("vcpu").get("chargeEnd"));
        assertEquals(START.plus(Duration.ofMinutes(120)).toString(), lines.get("disk").get("chargeEnd"));
        Map<String, Object> measured = bill.path("measured." + instance);
        assertEquals(0, decimal(measured.get("cpuSeconds")).compareTo(new BigDecimal("133.5")),
                "89 one-minute increases of 1.5 s between the 90 samples while running: " + measured);
        assertEquals(2 * GIB, ((Number) measured.get("snapshotBytesAverage")).longValue());

        BigDecimal total = decimal(bill.path("total"));
        assertSameTotalsInEveryExport(bill, instance, total);

        Response usage = Api.as("bob").get("/api/v1/usage?from=" + START + "&to=" + START.plus(Duration.ofHours(2)))
                .then().statusCode(200).extract().response();
        assertEquals(Map.of("vcpu", "3.000000", "memory", "1.500000", "disk", "0.026882", "snapshot", "0.005376"),
                quantities(linesOf(usage, instance)), "the usage of the range that covers its life");
        Response adminUsage = Api.as("admin").get("/api/v1/admin/usage/" + bill.path("tenantId") + "?from=" + START
                + "&to=" + START.plus(Duration.ofHours(2))).then().statusCode(200).extract().response();
        assertEquals(usage.<List<Object>>path("lines"), adminUsage.<List<Object>>path("lines"),
                "the admin sees the tenant's usage as the tenant does");
        Response firstHour = Api.as("bob").get("/api/v1/usage?from=" + START + "&to=" + START.plus(Duration.ofHours(1)))
                .then().statusCode(200).extract().response();
        assertEquals("2.000000", quantities(linesOf(firstHour, instance)).get("vcpu"), "periods clip to the range");

        Response summary = Api.as("admin").get("/api/v1/admin/billing?period=2031-03").then().statusCode(200)
                .extract().response();
        BigDecimal acmeTotal = decimal(summary.path("tenants.find { it.tenant == 'acme' }.total"));
        assertEquals(0, total.compareTo(acmeTotal), "the admin summary agrees with the tenant's bill");
        assertThat((Object) summary.path("tenants.find { it.tenant == 'acme' }.lines")).isNull();

        // 20 days later the raw samples are gone (14 days' retention) and hourly rollups carry the bill
        clock.set(START.plus(Duration.ofDays(20)));
        rollups.run();
        long raw = QuarkusTransaction.requiringNew().call(() -> ((Number) em.createNativeQuery(
                "select count(*) from metering_samples where instance_id = ?1").setParameter(1, instance)
                .getSingleResult()).longValue());
        long hourly = QuarkusTransaction.requiringNew().call(() -> ((Number) em.createNativeQuery(
                "select count(*) from metering_rollups where instance_id = ?1 and granularity = 'hour'")
                .setParameter(1, instance).getSingleResult()).longValue());
        assertEquals(0, raw, "raw samples past retention are deleted");
        assertEquals(2, hourly, "two hours of samples, one rollup each");
        long daily = QuarkusTransaction.requiringNew().call(() -> ((Number) em.createNativeQuery(
                "select count(*) from metering_rollups where instance_id = ?1 and granularity = 'day'")
                .setParameter(1, instance).getSingleResult()).longValue());
        assertEquals(1, daily, "and one day; the month's complete days are rated from the daily rollups");
        Response later = Api.as("bob").get("/api/v1/billing?period=2031-03").then().statusCode(200).extract().response();
        assertEquals(quantities(lines), quantities(linesOf(later, instance)), "the same bill from the rollups");
        assertEquals(0, decimal(later.path("measured." + instance + ".cpuSeconds")).compareTo(new BigDecimal("133.5")));
    }

    /**
     * Two replicas' metering passes may both sample an instance within one interval (their passes
     * drift; each replica's pass takes the hosts no replica did lately, not a fixed share): each
     * sample then stands for the time since the one before, so an hour of 2 GiB of snapshots sampled
     * twice a minute is billed as the hour it was, not as two.
     */
    @Test
    void samplesTakenTwiceAMinuteBillTheTimeThatPassedOnce() {
        Instant august = Instant.parse("2031-08-10T08:00:00Z");
        UUID instance = nanoJailAt(august, "twice", false);
        MeteredHostProfile.USAGE.put(instance, new InstanceUsage(GIB, GIB, 2 * GIB, 0.0, 0L, 0L, 0L, 0L));
        for (int minute = 1; minute <= 60; minute++) {
            clock.set(august.plus(Duration.ofMinutes(minute)));
            assertThat(sampler.sample()).isGreaterThanOrEqualTo(1);
            if (minute < 60) {
                // the other replica's pass, 25 s later
                clock.set(august.plus(Duration.ofMinutes(minute)).plusSeconds(25));
                assertThat(sampler.sample()).isGreaterThanOrEqualTo(1);
            }
        }
        waitFor(Api.as("bob").delete("/api/v1/instances/" + instance).then().statusCode(202).extract().path("id"));

        Map<String, Object> snapshot = linesOf(Api.as("bob").get("/api/v1/billing?period=2031-08").then()
                .statusCode(200).extract().response(), instance).get("snapshot");
        assertThat(snapshot).as("a snapshot line").isNotNull();
        // 2 GiB for one hour of August's 744: 2 / 744 GiB-month, whatever the number of samples
        assertEquals("0.002688", decimal(snapshot.get("quantity")).setScale(6, RoundingMode.HALF_UP).toPlainString());
    }

    /**
     * Egress is billed per GiB from the host's cumulative readings: each sample adds its increase
     * over the instance's previous one, a reading lower than the last (the host's counter started
     * again) counts in full, and the sum survives the raw samples being rolled up and expired.
     */
    @Test
    void egressIsBilledPerGibOfWhatTheHostCounted() {
        Instant july = Instant.parse("2031-07-10T08:00:00Z");
        UUID instance = nanoJailAt(july, "egress", true);
        long mib = 1L << 20;
        for (int minute = 1; minute <= 60; minute++) {
            clock.set(july.plus(Duration.ofMinutes(minute)));
            // 10 MiB a minute; the host's counter starts again from zero after minute 30
            long reading = 10 * mib * (minute <= 30 ? minute : minute - 30);
            MeteredHostProfile.USAGE.put(instance, new InstanceUsage(GIB, GIB, 0, 1.0, 64L << 20, 0, 0, 0, reading));
            assertThat(sampler.sample()).isGreaterThanOrEqualTo(1);
        }
        waitFor(Api.as("bob").delete("/api/v1/instances/" + instance).then().statusCode(202).extract().path("id"));

        // 600 MiB = 0.5859375 GiB, at the standard plan's 0.01 per GiB
        Map<String, Object> egress = linesOf(Api.as("bob").get("/api/v1/billing?period=2031-07").then().statusCode(200)
                .extract().response(), instance).get("egress");
        assertThat(egress).as("an egress line").isNotNull();
        assertEquals("0.585938", decimal(egress.get("quantity")).setScale(6, RoundingMode.HALF_UP).toPlainString());
        assertEquals("GiB", egress.get("unit"));
        assertAmount("0.005859", egress.get("cost"));

        clock.set(july.plus(Duration.ofDays(20)));
        rollups.run();
        Map<String, Object> rolledUp = linesOf(Api.as("bob").get("/api/v1/billing?period=2031-07").then()
                .statusCode(200).extract().response(), instance).get("egress");
        assertEquals("0.585938", decimal(rolledUp.get("quantity")).setScale(6, RoundingMode.HALF_UP).toPlainString(),
                "the rollups carry the same bytes");
    }

    /**
     * A per-image fee follows the provider's image however the instance named it: the image's name,
     * a channel of it or one of its versions. (Fees were matched with the reference as typed, so
     * "busybox/latest" and "busybox@1" ran free.)
     */
    @Test
    void anImageFeeIsChargedHoweverTheImageIsNamed() {
        Instant may = Instant.parse("2031-05-10T08:00:00Z");
        clock.set(may);
        Clock.use(clock);
        String globex = tenantId("globex");
        UUID plan = UUID.randomUUID();
        String image = Api.as("dave").get("/api/v1/images?name=busybox").then().statusCode(200).extract()
                .path("items[0].id");
        String version = Api.as("dave").get("/api/v1/images/" + image).then().statusCode(200).extract()
                .path("versions[0].version");
        QuarkusTransaction.requiringNew().run(() -> {
            em.createNativeQuery("insert into plans (id, name, currency, vcpu_hour, memory_gib_hour, disk_gib_month,"
                    + " snapshot_gib_month, image_fees) select ?1, ?2, currency, vcpu_hour, memory_gib_hour,"
                    + " disk_gib_month, snapshot_gib_month, '{\"busybox\": 0.25}'::jsonb from plans where name = 'standard'")
                    .setParameter(1, plan).setParameter(2, "fees-" + plan.toString().substring(0, 6)).executeUpdate();
            em.createNativeQuery("update tenants set plan_id = ?1 where id = ?2").setParameter(1, plan)
                    .setParameter(2, UUID.fromString(globex)).executeUpdate();
        });
        try {
            List<UUID> instances = new ArrayList<>();
            for (String reference : List.of("busybox", "busybox/latest", "busybox@" + version)) {
                String operation = Api.as("dave").body(Map.of("name", "fee-" + UUID.randomUUID().toString().substring(0, 6),
                        "kind", "jail", "image", reference, "type", "j1.nano", "start", true)).post("/api/v1/instances")
                        .then().statusCode(202).extract().path("id");
                instances.add(UUID.fromString(waitFor(operation).path("target")));
            }
            clock.set(may.plus(Duration.ofHours(2)));
            for (UUID instance : instances) {
                waitFor(Api.as("dave").delete("/api/v1/instances/" + instance).then().statusCode(202).extract()
                        .path("id"));
            }
            Response bill = Api.as("dave").get("/api/v1/billing?period=2031-05").then().statusCode(200).extract()
                    .response();
            for (UUID instance : instances) {
                Map<String, Object> fee = linesOf(bill, instance).get("image");
                assertThat(fee).as("an image line for " + instance + " in " + bill.asString()).isNotNull();
                assertEquals("2.000000", decimal(fee.get("quantity")).setScale(6, RoundingMode.UNNECESSARY)
                        .toPlainString(), "two running hours of busybox");
                assertAmount("0.500000", fee.get("cost"));
            }
        } finally {
            QuarkusTransaction.requiringNew().run(() -> {
                em.createNativeQuery("update tenants set plan_id = (select id from plans where name = 'standard')"
                        + " where id = ?1").setParameter(1, UUID.fromString(globex)).executeUpdate();
            });
        }
    }

    @Test
    void aTenantAPlatformAdminRegistersIsOnTheStandardPlan() {
        String slug = "registered-" + UUID.randomUUID().toString().substring(0, 6);
        Api.as("admin").body(Map.of("slug", slug)).post("/api/v1/admin/tenants").then().statusCode(202);
        String id = Api.as("admin").get("/api/v1/admin/tenants").then().statusCode(200).extract()
                .path("items.find { it.slug == '" + slug + "' }.id");
        assertEquals("standard", Api.as("admin").get("/api/v1/admin/quotas/" + id).then().statusCode(200).extract()
                .path("plan"), "priced and limited like a tenant that registered at its first sign-in");
        assertEquals("standard", Api.as("admin").get("/api/v1/admin/billing?period=2031-03").then().statusCode(200)
                .extract().path("tenants.find { it.tenant == '" + slug + "' }.plan"));
    }

    @Test
    void diskAcrossAMonthBoundaryIsPricedByTheLengthOfEachMonth() {
        Instant lateMarch = Instant.parse("2031-03-31T23:00:00Z");
        clock.set(lateMarch);
        Clock.use(clock);
        String name = "boundary-" + UUID.randomUUID().toString().substring(0, 6);
        String operation = Api.as("bob").body(Map.of("name", name, "kind", "jail", "image", "busybox", "vcpus", 1,
                "memoryMiB", 2048, "diskGiB", 30, "start", true)).post("/api/v1/instances")
                .then().statusCode(202).extract().path("id");
        UUID instance = UUID.fromString(waitFor(operation).path("target"));
        clock.set(lateMarch.plus(Duration.ofHours(2)));
        waitFor(Api.as("bob").delete("/api/v1/instances/" + instance).then().statusCode(202).extract().path("id"));

        Response march = Api.as("bob").get("/api/v1/billing?period=2031-03").then().statusCode(200).extract().response();
        assertEquals(Map.of("vcpu", "1.000000", "memory", "2.000000", "disk", "0.040323"),
                quantities(linesOf(march, instance)), "one hour of March: 30 GiB × 1 h / 744 h");
        Response april = Api.as("bob").get("/api/v1/billing?period=2031-04").then().statusCode(200).extract().response();
        assertEquals(Map.of("vcpu", "1.000000", "memory", "2.000000", "disk", "0.041667"),
                quantities(linesOf(april, instance)), "one hour of April: 30 GiB × 1 h / 720 h");
        Response both = Api.as("bob").get("/api/v1/usage?from=2031-03-31&to=2031-04-02").then().statusCode(200)
                .extract().response();
        assertEquals(Map.of("vcpu", "2.000000", "memory", "4.000000", "disk", "0.081989"),
                quantities(linesOf(both, instance)), "a range across the boundary sums both months' fractions");
    }

    @Test
    void aResizeWhileRunningBillsEachSizeForItsOwnTime() {
        Instant start = Instant.parse("2031-05-05T10:00:00Z");
        clock.set(start);
        Clock.use(clock);
        String name = "resized-" + UUID.randomUUID().toString().substring(0, 6);
        String operation = Api.as("bob").body(Map.of("name", name, "kind", "jail", "image", "busybox", "vcpus", 1,
                "memoryMiB", 1024, "diskGiB", 10, "start", true)).post("/api/v1/instances")
                .then().statusCode(202).extract().path("id");
        UUID instance = UUID.fromString(waitFor(operation).path("target"));
        clock.set(start.plus(Duration.ofMinutes(60)));
        waitFor(Api.as("bob").body(Map.of("vcpus", 3, "memoryMiB", 3072, "diskGiB", 20))
                .patch("/api/v1/instances/" + instance).then().statusCode(202).extract().path("id"));
        clock.set(start.plus(Duration.ofMinutes(90)));
        waitFor(Api.as("bob").delete("/api/v1/instances/" + instance).then().statusCode(202).extract().path("id"));

        Response may = Api.as("bob").get("/api/v1/billing?period=2031-05").then().statusCode(200).extract().response();
        // 1 vCPU × 1 h + 3 vCPUs × 0.5 h; 1 GiB × 1 h + 3 GiB × 0.5 h; (10 GiB × 1 h + 20 GiB × 0.5 h) / 744 h
        assertEquals(Map.of("vcpu", "2.500000", "memory", "2.500000", "disk", "0.026882"),
                quantities(linesOf(may, instance)));
    }

    @Test
    void badPeriodsAndRangesAreRefusedAndTenantsSeeOnlyTheirOwn() {
        for (String period : List.of("2031-13", "2031-3", "march", "1999-12", "")) {
            Response response = Api.as("bob").get("/api/v1/billing?period=" + period);
            assertEquals(400, response.statusCode(), period);
            assertThat((String) response.path("error")).isIn("invalid_period", "validation_failed");
            assertThat((String) response.path("message")).isNotBlank();
        }
        assertEquals(400, Api.as("bob").get("/api/v1/billing").statusCode());
        assertEquals("invalid_range", Api.as("bob").get("/api/v1/usage?from=yesterday&to=2031-03-01")
                .then().statusCode(400).extract().path("error"));
        assertEquals("invalid_range", Api.as("bob").get("/api/v1/usage?from=2031-03-02&to=2031-03-01")
                .then().statusCode(400).extract().path("error"));
        assertEquals("invalid_range", Api.as("bob").get("/api/v1/usage?from=2020-01-01&to=2031-03-01")
                .then().statusCode(400).extract().path("error"));
        assertEquals("validation_failed", Api.as("bob").get("/api/v1/usage?to=2031-03-01")
                .then().statusCode(400).extract().path("error"));
        String acme = tenantId("acme");
        assertEquals("invalid_format", Api.as("admin").get("/api/v1/admin/billing/" + acme + "?period=2031-03&format=xml")
                .then().statusCode(400).extract().path("error"));
        assertEquals("invalid_format", Api.as("admin").get("/api/v1/admin/billing?period=2031-03&format=xml")
                .then().statusCode(400).extract().path("error"));
        assertEquals("invalid_period", Api.as("admin").get("/api/v1/admin/billing?period=2031-00")
                .then().statusCode(400).extract().path("error"));
        assertEquals("not_found", Api.as("admin").get("/api/v1/admin/billing/" + UUID.randomUUID() + "?period=2031-03")
                .then().statusCode(404).extract().path("error"));

        for (String user : List.of("alice", "bob", "vera", "carol", "dave")) {
            assertEquals("forbidden", Api.as(user).get("/api/v1/admin/billing?period=2031-03")
                    .then().statusCode(403).extract().path("error"), user);
            assertEquals("forbidden", Api.as(user).get("/api/v1/admin/billing/" + acme + "?period=2031-03")
                    .then().statusCode(403).extract().path("error"), user);
            assertEquals("forbidden", Api.as(user).get("/api/v1/admin/usage/" + acme + "?from=2031-03-01&to=2031-03-02")
                    .then().statusCode(403).extract().path("error"), user);
            String own = user.equals("carol") || user.equals("dave") ? "globex" : "acme";
            assertEquals(own, Api.as(user).get("/api/v1/billing?period=2031-03").then().statusCode(200).extract()
                    .path("tenant"), user);
            assertEquals(own, Api.as(user).get("/api/v1/usage?from=2031-03-01&to=2031-03-02").then().statusCode(200)
                    .extract().path("tenant"), user);
        }
        assertEquals("forbidden", Api.as("admin").get("/api/v1/billing?period=2031-03")
                .then().statusCode(403).extract().path("error"), "a platform admin without a tenant has no bill");
        assertEquals("unauthorized", Api.anonymous().get("/api/v1/billing?period=2031-03")
                .then().statusCode(401).extract().path("error"));
        assertEquals("unauthorized", Api.anonymous().get("/api/v1/admin/billing?period=2031-03")
                .then().statusCode(401).extract().path("error"));

        List<String> acmeInstances = Api.as("admin").get("/api/v1/instances?limit=500").then().statusCode(200).extract()
                .path("items.findAll { it.tenant == 'acme' }.id");
        List<String> globexLines = Api.as("carol").get("/api/v1/billing?period=" + java.time.YearMonth.now())
                .then().statusCode(200).extract().path("lines.instanceId");
        assertThat(globexLines).noneMatch(acmeInstances::contains);
    }

    private static void assertSameTotalsInEveryExport(Response bill, UUID instance, BigDecimal total) {
        String acme = bill.path("tenantId");
        Response json = Api.as("admin").get("/api/v1/admin/billing/" + acme + "?period=2031-03&format=json")
                .then().statusCode(200).extract().response();
        assertEquals(0, total.compareTo(decimal(json.path("total"))), "the admin's JSON and the tenant's bill agree");
        assertEquals(bill.<List<Object>>path("lines"), json.<List<Object>>path("lines"));

        Response csv = Api.as("admin").accept("text/csv").get("/api/v1/admin/billing/" + acme + "?period=2031-03&format=csv")
                .then().statusCode(200).extract().response();
        assertThat(csv.contentType()).startsWith("text/csv");
        assertEquals("attachment; filename=\"billing-acme-2031-03.csv\"", csv.header("Content-Disposition"));
        List<Map<String, String>> csvRows = parse(csv.asString());
        assertEquals(((List<?>) bill.path("lines")).size(), csvRows.size());
        assertEquals(0, total.compareTo(sum(csvRows, "cost")), "CSV costs sum to the total");
        Map<String, String> csvQuantities = new HashMap<>();
        csvRows.stream().filter(row -> row.get("instance_id").equals(instance.toString()))
                .forEach(row -> csvQuantities.put(row.get("resource"), row.get("quantity")));
        assertEquals(Map.of("vcpu", "3.000000", "memory", "1.500000", "disk", "0.026882", "snapshot", "0.005376"),
                csvQuantities);

        Response focus = Api.as("admin").get("/api/v1/admin/billing/" + acme + "?period=2031-03&format=focus")
                .then().statusCode(200).extract().response();
        assertThat(focus.contentType()).startsWith("text/csv");
        assertEquals("attachment; filename=\"billing-acme-2031-03-focus.csv\"", focus.header("Content-Disposition"));
        List<Map<String, String>> focusRows = parse(focus.asString());
        assertThat(focusRows.getFirst().keySet()).containsAll(List.of("BillingPeriodStart", "BillingPeriodEnd",
                "ChargePeriodStart", "ChargePeriodEnd", "BilledCost", "EffectiveCost", "ListCost", "BillingCurrency",
                "ConsumedQuantity", "ConsumedUnit", "PricingQuantity", "PricingUnit", "ListUnitPrice", "ResourceId",
                "ResourceName", "ResourceType", "ServiceName", "ServiceCategory", "SubAccountId", "SubAccountName",
                "ChargeCategory", "ChargeDescription", "SkuId"));
        assertEquals(csvRows.size(), focusRows.size());
        assertEquals(0, total.compareTo(sum(focusRows, "BilledCost")), "FOCUS billed costs sum to the total");
        assertEquals(0, total.compareTo(sum(focusRows, "EffectiveCost")));
        Map<String, String> vcpu = focusRows.stream().filter(row -> row.get("ResourceId").equals(instance.toString())
                && row.get("SkuId").equals("jail-vcpu")).findFirst().orElseThrow();
        assertEquals("3.000000", vcpu.get("ConsumedQuantity"));
        assertEquals("vCPU-Hours", vcpu.get("ConsumedUnit"));
        assertEquals("0.030000", vcpu.get("BilledCost"));
        assertEquals("EUR", vcpu.get("BillingCurrency"));
        assertEquals("2031-03-01T00:00:00Z", vcpu.get("BillingPeriodStart"));
        assertEquals("acme", vcpu.get("SubAccountName"));
        assertEquals("Compute", vcpu.get("ServiceCategory"));
        Map<String, String> snapshot = focusRows.stream().filter(row -> row.get("ResourceId").equals(instance.toString())
                && row.get("SkuId").equals("jail-snapshot")).findFirst().orElseThrow();
        assertEquals("0.005376", snapshot.get("ConsumedQuantity"));
        assertEquals("GiB-Months", snapshot.get("PricingUnit"));
        assertEquals("Storage", snapshot.get("ServiceCategory"));

        // every tenant's lines in one export: acme's are exactly those of its own, and all of them sum
        // to the summary's total
        Response everyCsv = Api.as("admin").accept("text/csv").get("/api/v1/admin/billing?period=2031-03&format=csv")
                .then().statusCode(200).extract().response();
        assertThat(everyCsv.contentType()).startsWith("text/csv");
        assertEquals("attachment; filename=\"billing-2031-03.csv\"", everyCsv.header("Content-Disposition"));
        List<Map<String, String>> everyRow = parse(everyCsv.asString());
        assertEquals(csvRows, everyRow.stream().filter(row -> row.get("tenant").equals("acme")).toList());
        Response summary = Api.as("admin").get("/api/v1/admin/billing?period=2031-03").then().statusCode(200)
                .extract().response();
        assertEquals(0, decimal(summary.path("totals.EUR")).compareTo(sum(everyRow, "cost")),
                "every tenant's CSV costs sum to the summary's total");
        Response everyFocus = Api.as("admin").get("/api/v1/admin/billing?period=2031-03&format=focus")
                .then().statusCode(200).extract().response();
        assertEquals("attachment; filename=\"billing-2031-03-focus.csv\"", everyFocus.header("Content-Disposition"));
        assertEquals(0, sum(everyRow, "cost").compareTo(sum(parse(everyFocus.asString()), "BilledCost")));
    }

    /** Bob's j1.nano busybox jail, created with the clock set to {@code at}, which it stays on. */
    private UUID nanoJailAt(Instant at, String prefix, boolean start) {
        RecordingHostDriver.reset();
        clock.set(at);
        Clock.use(clock);
        String operation = Api.as("bob").body(Map.of("name", prefix + "-" + UUID.randomUUID().toString().substring(0, 6),
                "kind", "jail", "image", "busybox", "type", "j1.nano", "start", start)).post("/api/v1/instances")
                .then().statusCode(202).extract().path("id");
        return UUID.fromString(waitFor(operation).path("target"));
    }

    private static Map<String, Map<String, Object>> linesOf(Response report, UUID instance) {
        List<Map<String, Object>> lines = report.path("lines.findAll { it.instanceId == '" + instance + "' }");
        Map<String, Map<String, Object>> byResource = new HashMap<>();
        lines.forEach(line -> byResource.put((String) line.get("resource"), line));
        return byResource;
    }

    private static Map<String, String> quantities(Map<String, Map<String, Object>> lines) {
        Map<String, String> quantities = new HashMap<>();
        lines.forEach((resource, line) -> quantities.put(resource,
                decimal(line.get("quantity")).setScale(6, RoundingMode.UNNECESSARY).toPlainString()));
        return quantities;
    }

    private static void assertAmount(String expected, Object actual) {
        assertEquals(0, new BigDecimal(expected).compareTo(decimal(actual)), expected + " ≠ " + actual);
    }

    private static BigDecimal decimal(Object value) {
        return new BigDecimal(value.toString());
    }

    private static BigDecimal sum(List<Map<String, String>> rows, String column) {
        return rows.stream().map(row -> new BigDecimal(row.get(column))).reduce(BigDecimal.ZERO, BigDecimal::add);
    }

    /** RFC 4180 CSV with a header row, into one map per row. */
    static List<Map<String, String>> parse(String text) {
        List<List<String>> records = new ArrayList<>();
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                fields.add(field.toString());
                field.setLength(0);
            } else if (c == '\n') {
                fields.add(field.toString());
                field.setLength(0);
                records.add(fields);
                fields = new ArrayList<>();
            } else if (c != '\r') {
                field.append(c);
            }
        }
        List<String> header = records.getFirst();
        List<Map<String, String>> rows = new ArrayList<>();
        for (List<String> record : records.subList(1, records.size())) {
            Map<String, String> row = new HashMap<>();
            for (int i = 0; i < header.size(); i++) {
                row.put(header.get(i), record.get(i));
            }
            rows.add(row);
        }
        return rows;
    }

    static Response waitFor(String operation) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(40));
        Response response = null;
        while (Instant.now().isBefore(deadline)) {
            response = Api.as("admin").get("/api/v1/operations/" + operation);
            String state = response.path("state");
            if (List.of("succeeded", "failed", "cancelled").contains(state)) {
                assertEquals("succeeded", state, response.asString());
                return response;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        throw new AssertionError("operation " + operation + " did not finish: "
                + (response == null ? "" : response.asString()));
    }

    static String tenantId(String slug) {
        Api.as(slug.equals("acme") ? "bob" : "dave").get("/api/v1/me").then().statusCode(200);
        return Api.as("admin").get("/api/v1/admin/tenants").then().statusCode(200).extract()
                .path("items.find { it.slug == '" + slug + "' }.id");
    }
}

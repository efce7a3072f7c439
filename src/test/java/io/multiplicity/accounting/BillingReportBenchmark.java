package io.multiplicity.accounting;

import static org.assertj.core.api.Assertions.assertThat;

import io.multiplicity.support.Api;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.config.JsonPathConfig;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Seconds to build one month's report for a tenant with 10,000 instances through the API: three
 * allocation periods per instance in the month (running, stopped, running again) and a daily
 * metering rollup per instance and day of the month, as the rollup job leaves a past month (rating
 * reads complete days from the daily rollups). Run by bench/billing-report.
 */
@QuarkusTest
@TestProfile(BenchmarkProfile.class)
@EnabledIfSystemProperty(named = "multiplicity.bench", matches = "true")
class BillingReportBenchmark {

    static final int INSTANCES = 10_000;
    static final int RUNS = 3;
    static final double TARGET_SECONDS = 5;

    @Inject
    EntityManager em;

    @Inject
    Rating rating;

    @Test
    void oneMonthsReportForTenThousandInstances() {
        YearMonth month = YearMonth.now(ZoneOffset.UTC).minusMonths(1);
        BillingPeriod period = BillingPeriod.month(month);
        long seeding = System.nanoTime();
        String tenant = QuarkusTransaction.requiringNew().call(() -> seed(period));
        long rollups = QuarkusTransaction.requiringNew().call(() -> ((Number) em.createNativeQuery(
                "select count(*) from metering_rollups").getSingleResult()).longValue());
        double seedSeconds = (System.nanoTime() - seeding) / 1e9;

        Api.as("admin").get("/api/v1/admin/billing/" + tenant + "?period=" + month).then().statusCode(200);
        // building the report: rating with line items and measurements, in the service, without HTTP and JSON
        List<Double> build = new ArrayList<>();
        for (int run = 0; run < RUNS; run++) {
            long started = System.nanoTime();
            BillingReport report = rating.rate(java.util.UUID.fromString(tenant), period, true).getFirst();
            build.add((System.nanoTime() - started) / 1e9);
            assertThat(report.lines()).hasSize(INSTANCES * 4 - INSTANCES / 5);
        }
        Collections.sort(build);
        double built = build.get(RUNS / 2);
        List<Double> json = new ArrayList<>();
        int lines = 0;
        String total = null;
        for (int run = 0; run < RUNS; run++) {
            long started = System.nanoTime();
            Response report = Api.as("admin").get("/api/v1/admin/billing/" + tenant + "?period=" + month)
                    .then().statusCode(200).extract().response();
            json.add((System.nanoTime() - started) / 1e9);
            lines = report.<List<?>>path("lines").size();
            total = report.jsonPath(JsonPathConfig.jsonPathConfig().numberReturnType(
                    JsonPathConfig.NumberReturnType.BIG_DECIMAL)).getString("total");
        }
        double csv = timed("/api/v1/admin/billing/" + tenant + "?period=" + month + "&format=csv");
        double focus = timed("/api/v1/admin/billing/" + tenant + "?period=" + month + "&format=focus");
        double summary = timed("/api/v1/admin/billing?period=" + month);
        Collections.sort(json);
        double median = json.get(RUNS / 2);
        new BenchmarkReport("billing-report", "Billing report: one month, one tenant with 10,000 instances")
                .row("month", month)
                .row("instances", INSTANCES)
                .row("allocation periods", INSTANCES * 3)
                .row("daily metering rollups", rollups)
                .row("seeding (s)", String.format("%.1f", seedSeconds))
                .row("line items", lines)
                .row("total (EUR)", total)
                .row("build the report (rating), median of " + RUNS + " (s)", String.format("%.2f", built))
                .row("build the report, each run (s)", build.stream().map(s -> String.format("%.2f", s)).toList())
                .row("JSON through the API, median of " + RUNS + " (s)", String.format("%.2f", median))
                .row("JSON through the API, each run (s)", json.stream().map(s -> String.format("%.2f", s)).toList())
                .row("CSV export (s)", String.format("%.2f", csv))
                .row("FOCUS export (s)", String.format("%.2f", focus))
                .row("admin summary across tenants (s)", String.format("%.2f", summary))
                .row("target (s)", TARGET_SECONDS)
                .row("load average (1 min) at the end", String.format("%.1f", java.lang.management.ManagementFactory
                        .getOperatingSystemMXBean().getSystemLoadAverage()))
                .finish(String.format(Locale.ROOT, "{\"bench\":\"billing-report\",\"seconds\":%.2f,\"instances\":%d,"
                                + "\"lines\":%d,\"api_json_s\":%.2f,\"csv_s\":%.2f,\"focus_s\":%.2f,\"summary_s\":%.2f,"
                                + "\"target_s\":%d}",
                        built, INSTANCES, lines, median, csv, focus, summary, (int) TARGET_SECONDS));
        // every fifth instance has no snapshots, so no snapshot line
        assertThat(lines).isEqualTo(INSTANCES * 4 - INSTANCES / 5);
    }

    private static double timed(String path) {
        long started = System.nanoTime();
        Api.as("admin").accept("*/*").get(path).then().statusCode(200).extract().asByteArray();
        return (System.nanoTime() - started) / 1e9;
    }

    private String seed(BillingPeriod period) {
        em.createNativeQuery("insert into tenants (id, slug, display_name)"
                + " values ('00000000-0000-0000-0000-0000000b111e', 'bench-report', 'Bench report')"
                + " on conflict do nothing").executeUpdate();
        em.createNativeQuery("update hosts set cpus = 100000, memory_mib = 1000000000, storage_gib = 1000000000"
                + " where name = 'test-host'").executeUpdate();
        em.createNativeQuery("insert into instances (id, tenant_id, name, kind, image, vcpus, memory_mib, disk_gib,"
                        + " desired_state, actual_state, host_id, created_at, updated_at)"
                        + " select gen_random_uuid(), '00000000-0000-0000-0000-0000000b111e', 'report-' || g,"
                        + "   case when g % 4 = 0 then 'vm' else 'jail' end, 'busybox', 1 + g % 4, 512 * (1 + g % 8),"
                        + "   10 + g % 50, 'running', 'running', h.id, ?1, ?1"
                        + " from generate_series(1, ?2) g cross join hosts h where h.name = 'test-host'")
                .setParameter(1, period.from().atOffset(ZoneOffset.UTC))
                .setParameter(2, INSTANCES)
                .executeUpdate();
        // running the first ten days, stopped two, running the rest of the month and on
        em.createNativeQuery("insert into allocation_periods (instance_id, tenant_id, host_id, image, running, vcpus,"
                        + " memory_mib, disk_gib, started_at, ended_at)"
                        + " select i.id, i.tenant_id, i.host_id, i.image, s.running, i.vcpus, i.memory_mib, i.disk_gib,"
                        + "   cast(?1 as timestamptz) + s.since, case when s.until is null then null"
                        + "   else cast(?1 as timestamptz) + s.until end"
                        + " from instances i cross join (values (true, interval '0 days', interval '10 days'),"
                        + "   (false, interval '10 days', interval '12 days'), (true, interval '12 days', null))"
                        + "   as s (running, since, until)"
                        + " where i.tenant_id = '00000000-0000-0000-0000-0000000b111e'")
                .setParameter(1, period.from().atOffset(ZoneOffset.UTC))
                .executeUpdate();
        em.createNativeQuery("insert into metering_rollups (instance_id, granularity, bucket_start, tenant_id, samples,"
                        + " running_seconds, sampled_seconds, snapshot_bytes_avg, snapshot_byte_seconds)"
                        + " select i.id, 'day', d, i.tenant_id, 1440, 86400, 86400, 1073741824 * (g.n % 5),"
                        + "   1073741824::numeric * (g.n % 5) * 86400"
                        + " from (select id, tenant_id, row_number() over () as n from instances"
                        + "   where tenant_id = '00000000-0000-0000-0000-0000000b111e') i"
                        + " cross join lateral (select i.n) g"
                        + " cross join generate_series(cast(?1 as timestamptz), cast(?2 as timestamptz) - interval '1 day',"
                        + "   interval '1 day') d")
                .setParameter(1, period.from().atOffset(ZoneOffset.UTC))
                .setParameter(2, period.to().atOffset(ZoneOffset.UTC))
                .executeUpdate();
        em.createNativeQuery("update metering_watermarks set raw_from = ?1, hourly_from = ?2, rolled_up_to = ?1")
                .setParameter(1, period.to().atOffset(ZoneOffset.UTC))
                .setParameter(2, period.from().atOffset(ZoneOffset.UTC))
                .executeUpdate();
        em.createNativeQuery("analyze").executeUpdate();
        return "00000000-0000-0000-0000-0000000b111e";
    }
}

package io.multiplicity.accounting;

import static io.multiplicity.accounting.BillingTest.parse;
import static io.multiplicity.accounting.BillingTest.tenantId;
import static io.multiplicity.accounting.BillingTest.waitFor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.time.Duration;
import java.time.Instant;
import java.util.Currency;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A month's FOCUS export checked against the FinOps FOCUS specification 1.1, as a FinOps tool
 * would read it: every Mandatory column of 1.1 is there and holds what the specification allows,
 * date/times are whole-second UTC, the SKU price details carry the prices the tenant is shown, and
 * CSV and FOCUS sum to the JSON report's total. Amounts due use the currency's own decimals.
 */
@QuarkusTest
@TestProfile(MeteredHostProfile.class)
class FocusExportTest {

    /** The Mandatory columns of FOCUS 1.1 (specification/columns/*.md, "Feature level: Mandatory"). */
    static final List<String> MANDATORY_1_1 = List.of("BilledCost", "BillingAccountId", "BillingAccountName",
            "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory", "ChargeClass",
            "ChargeDescription", "ChargePeriodEnd", "ChargePeriodStart", "ContractedCost", "EffectiveCost",
            "InvoiceIssuerName", "ListCost", "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName",
            "ServiceCategory", "ServiceName");
    /** Mandatory columns that "MUST NOT be null" whatever the row. */
    static final List<String> NEVER_NULL = List.of("BilledCost", "BillingAccountId", "BillingCurrency",
            "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory", "ChargePeriodEnd", "ChargePeriodStart",
            "ContractedCost", "EffectiveCost", "InvoiceIssuerName", "ListCost", "ProviderName", "PublisherName",
            "ServiceCategory", "ServiceName");
    /** Not null when ChargeClass is not "Correction" and ChargeCategory is "Usage" or "Purchase". */
    static final List<String> NOT_NULL_FOR_USAGE = List.of("PricingQuantity", "PricingUnit", "ListUnitPrice",
            "ContractedUnitPrice", "SkuId", "SkuPriceId", "ConsumedQuantity", "ConsumedUnit");
    static final Set<String> CHARGE_CATEGORIES = Set.of("Adjustment", "Purchase", "Tax", "Usage", "Credit");
    static final Set<String> SERVICE_CATEGORIES = Set.of("AI and Machine Learning", "Analytics",
            "Business Applications", "Compute", "Databases", "Developer Tools", "Multicloud", "Identity",
            "Integration", "Internet of Things", "Management and Governance", "Media", "Migration", "Mobile",
            "Networking", "Security", "Storage", "Web", "Other");
    static final Set<String> CHARGE_FREQUENCIES = Set.of("One-Time", "Recurring", "Usage-Based");
    static final Pattern DATE_TIME = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z");
    static final Pattern DECIMAL = Pattern.compile("-?\\d+(\\.\\d+)?");
    static final long GIB = 1L << 30;
    static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    MeteringSampler sampler;

    @Inject
    EntityManager em;

    @AfterEach
    void realTime() {
        Clock.useSystem();
    }

    @Test
    void aMonthsFocusExportHasEveryMandatoryColumnOfItsVersionAndTheJsonTotal() throws Exception {
        RecordingHostDriver.reset();
        // a start in the middle of a second: FOCUS wants whole seconds, the JSON keeps the exact times
        Instant start = Instant.parse("2031-09-10T08:00:00.123456Z");
        SettableClock clock = new SettableClock(start);
        Clock.use(clock);
        String name = "focus-" + UUID.randomUUID().toString().substring(0, 6);
        String operation = Api.as("bob").body(Map.of("name", name, "kind", "jail", "image", "busybox", "vcpus", 2,
                "memoryMiB", 1024, "diskGiB", 10, "start", true)).post("/api/v1/instances")
                .then().statusCode(202).extract().path("id");
        UUID instance = UUID.fromString(waitFor(operation).path("target"));
        for (int minute = 1; minute <= 30; minute++) {
            clock.set(start.plus(Duration.ofMinutes(minute)));
            MeteredHostProfile.USAGE.put(instance, new InstanceUsage(3 * GIB, 3 * GIB, GIB, 1.0, 512L << 20,
                    minute * 1_000_000_000L, 1000L * minute, 100L * minute, 64L * minute << 20));
            assertThat(sampler.sample()).isGreaterThanOrEqualTo(1);
        }
        clock.set(start.plus(Duration.ofMinutes(30)).plusMillis(500));
        waitFor(Api.as("bob").delete("/api/v1/instances/" + instance).then().statusCode(202).extract().path("id"));

        Response bill = Api.as("bob").get("/api/v1/billing?period=2031-09").then().statusCode(200).extract().response();
        BigDecimal total = new BigDecimal(bill.path("total").toString());
        assertThat(total.signum()).isPositive();
        assertEquals(start.toString(), bill.path("lines.find { it.instanceId == '" + instance
                + "' && it.resource == 'vcpu' }.chargeStart"), "the JSON keeps the exact start");
        assertEquals(2, (int) bill.path("currencyDecimals"), "EUR has two minor units");
        assertEquals(total.setScale(2, java.math.RoundingMode.HALF_UP), new BigDecimal(bill.path("amountDue").toString())
                .setScale(2), "the amount due is the total in cents");

        // the tenant's own FOCUS download and the admin's of the tenant are the same file
        Response own = Api.as("bob").get("/api/v1/billing?period=2031-09&format=focus").then().statusCode(200)
                .extract().response();
        assertEquals("1.1", own.header("X-FOCUS-Version"));
        String acme = bill.path("tenantId");
        Response admin = Api.as("admin").get("/api/v1/admin/billing/" + acme + "?period=2031-09&format=focus")
                .then().statusCode(200).extract().response();
        assertEquals(own.asString(), admin.asString());
        Map<String, Object> metadata = Api.as("bob").get("/api/v1/billing/focus-metadata").then().statusCode(200)
                .extract().as(new io.restassured.common.mapper.TypeRef<Map<String, Object>>() { });
        assertEquals("1.1", metadata.get("FocusVersion"), "the declared version");

        String text = own.asString();
        List<String> header = List.of(text.substring(0, text.indexOf("\r\n")).split(","));
        assertThat(header).as("every Mandatory column of FOCUS 1.1").containsAll(MANDATORY_1_1);
        assertThat(header).as("SKU columns of 1.1 for a provider with a price list")
                .contains("SkuId", "SkuPriceId", "SkuMeter", "SkuPriceDetails");
        List<?> declared = ((List<?>) metadata.get("ColumnDefinition")).stream()
                .map(column -> ((Map<?, ?>) column).get("ColumnName")).toList();
        assertEquals(header, declared, "the metadata lists the columns of the file, in order");

        List<Map<String, String>> rows = parse(text);
        assertEquals(((List<?>) bill.path("lines")).size(), rows.size(), "a FOCUS row per line item");
        Map<String, Object> prices = Api.as("bob").get("/api/v1/prices").then().statusCode(200).extract()
                .as(new io.restassured.common.mapper.TypeRef<Map<String, Object>>() { });
        for (Map<String, String> row : rows) {
            for (String column : NEVER_NULL) {
                assertThat(row.get(column)).as(column + " must not be null: " + row).isNotEmpty();
            }
            assertThat(row.get("ChargeDescription")).as("ChargeDescription should not be null").isNotEmpty();
            assertThat(row.get("BillingAccountName")).as("the panel names billing accounts").isNotEmpty();
            assertThat(row.get("ChargeClass")).as("ChargeClass is null or Correction").isIn("", "Correction");
            assertThat(row.get("ChargeCategory")).isIn(CHARGE_CATEGORIES);
            assertThat(row.get("ServiceCategory")).isIn(SERVICE_CATEGORIES);
            assertThat(row.get("ChargeFrequency")).isIn(CHARGE_FREQUENCIES);
            if (row.get("ChargeCategory").equals("Usage") && row.get("ChargeClass").isEmpty()) {
                for (String column : NOT_NULL_FOR_USAGE) {
                    assertThat(row.get(column)).as(column + " on a usage row: " + row).isNotEmpty();
                }
                assertThat(new BigDecimal(row.get("ConsumedQuantity")).signum()).isPositive();
                assertThat(row.get("SkuMeter")).as("SkuMeter should not be null when SkuId is not").isNotEmpty();
            }
            Currency.getInstance(row.get("BillingCurrency"));
            for (String column : List.of("BilledCost", "EffectiveCost", "ListCost", "ContractedCost",
                    "PricingQuantity", "ListUnitPrice", "ContractedUnitPrice", "ConsumedQuantity")) {
                assertThat(row.get(column)).as(column + " in Numeric Format").matches(DECIMAL);
            }
            for (String column : List.of("BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart",
                    "ChargePeriodEnd")) {
                assertThat(row.get(column)).as(column + " as YYYY-MM-DDTHH:mm:ssZ").matches(DATE_TIME);
            }
            Instant chargeStart = Instant.parse(row.get("ChargePeriodStart"));
            Instant chargeEnd = Instant.parse(row.get("ChargePeriodEnd"));
            assertThat(chargeEnd).isAfter(chargeStart);
            assertThat(chargeStart).isAfterOrEqualTo(Instant.parse(row.get("BillingPeriodStart")));
            assertThat(chargeEnd).isBeforeOrEqualTo(Instant.parse(row.get("BillingPeriodEnd")));
            BigDecimal listCost = new BigDecimal(row.get("ListCost"));
            BigDecimal fromUnitPrice = new BigDecimal(row.get("ListUnitPrice"))
                    .multiply(new BigDecimal(row.get("PricingQuantity")));
            assertThat(listCost.subtract(fromUnitPrice).abs()).as("ListUnitPrice × PricingQuantity = ListCost")
                    .isLessThanOrEqualTo(new BigDecimal("0.0000005"));
            Map<String, Object> details = JSON.readValue(row.get("SkuPriceDetails"), new TypeReference<>() { });
            assertEquals(0, new BigDecimal(details.get("ListUnitPrice").toString())
                    .compareTo(new BigDecimal(row.get("ListUnitPrice"))), "SkuPriceDetails' price is the row's");
            assertEquals(row.get("BillingCurrency"), details.get("PricingCurrency"));
            assertEquals(prices.get("plan"), details.get("Plan"));
            assertThat(row.get("SkuPriceId")).endsWith("-" + prices.get("plan"));
        }
        Map<String, String> vcpu = rows.stream().filter(row -> row.get("ResourceId").equals(instance.toString())
                && row.get("SkuId").equals("jail-vcpu")).findFirst().orElseThrow();
        assertEquals("2031-09-10T08:00:00Z", vcpu.get("ChargePeriodStart"), "the start rounds down to its second");
        assertEquals("2031-09-10T08:30:01Z", vcpu.get("ChargePeriodEnd"), "the exclusive end rounds up");
        assertEquals("Compute Usage", vcpu.get("SkuMeter"));
        assertEquals("Containers", vcpu.get("ServiceSubcategory"));
        assertEquals(0, new BigDecimal(prices.get("vcpuHour").toString()).compareTo(new BigDecimal(vcpu.get(
                "ListUnitPrice"))), "the vCPU-hour price the tenant is shown");
        Map<String, String> egress = rows.stream().filter(row -> row.get("ResourceId").equals(instance.toString())
                && row.get("SkuId").equals("jail-egress")).findFirst().orElseThrow();
        assertEquals("Networking", egress.get("ServiceCategory"));
        assertEquals("Data Transfer Out", egress.get("SkuMeter"));

        assertEquals(0, total.compareTo(sum(rows, "BilledCost")), "FOCUS BilledCost sums to the JSON total");
        assertEquals(0, total.compareTo(sum(rows, "EffectiveCost")));
        Response csv = Api.as("bob").get("/api/v1/billing?period=2031-09&format=csv").then().statusCode(200)
                .extract().response();
        assertThat(csv.header("X-FOCUS-Version")).isNull();
        assertEquals(0, total.compareTo(sum(parse(csv.asString()), "cost")), "CSV costs sum to the JSON total");
        Response summary = Api.as("admin").get("/api/v1/admin/billing?period=2031-09").then().statusCode(200)
                .extract().response();
        Response every = Api.as("admin").get("/api/v1/admin/billing?period=2031-09&format=focus").then()
                .statusCode(200).extract().response();
        assertEquals("1.1", every.header("X-FOCUS-Version"));
        assertEquals(0, new BigDecimal(summary.path("totals.EUR").toString()).compareTo(sum(parse(every.asString()),
                "BilledCost")), "every tenant's FOCUS sums to the summary's total");
    }

    @Test
    void amountsDueUseTheCurrencysOwnMinorUnits() {
        RecordingHostDriver.reset();
        Instant start = Instant.parse("2031-10-10T08:00:00Z");
        SettableClock clock = new SettableClock(start);
        Clock.use(clock);
        String globex = tenantId("globex");
        UUID plan = UUID.randomUUID();
        // 7.3 yen per vCPU-hour
        QuarkusTransaction.requiringNew().run(() -> {
            em.createNativeQuery("insert into plans (id, name, currency, vcpu_hour, memory_gib_hour, disk_gib_month,"
                    + " snapshot_gib_month) values (?1, ?2, 'JPY', 7.3, 0, 0, 0)")
                    .setParameter(1, plan).setParameter(2, "yen-" + plan.toString().substring(0, 6)).executeUpdate();
            em.createNativeQuery("update tenants set plan_id = ?1 where id = ?2").setParameter(1, plan)
                    .setParameter(2, UUID.fromString(globex)).executeUpdate();
        });
        try {
            String operation = Api.as("dave").body(Map.of("name", "yen-" + UUID.randomUUID().toString().substring(0, 6),
                    "kind", "jail", "image", "busybox", "vcpus", 1, "memoryMiB", 256, "diskGiB", 1, "start", true))
                    .post("/api/v1/instances").then().statusCode(202).extract().path("id");
            UUID instance = UUID.fromString(waitFor(operation).path("target"));
            clock.set(start.plus(Duration.ofHours(1)));
            waitFor(Api.as("dave").delete("/api/v1/instances/" + instance).then().statusCode(202).extract().path("id"));

            Response bill = Api.as("dave").get("/api/v1/billing?period=2031-10").then().statusCode(200).extract()
                    .response();
            assertEquals("JPY", bill.path("currency"));
            assertEquals(0, (int) bill.path("currencyDecimals"), "the yen has no minor unit");
            assertEquals(0, new BigDecimal("7.3").compareTo(new BigDecimal(bill.path("total").toString())));
            assertEquals("7", bill.path("amountDue").toString(), "7.3 yen are due as 7 yen, not 7.30");
            Response summary = Api.as("admin").get("/api/v1/admin/billing?period=2031-10").then().statusCode(200)
                    .extract().response();
            assertEquals("7", summary.path("amountsDue.JPY").toString());
            assertEquals("7", summary.path("tenants.find { it.tenant == 'globex' }.amountDue").toString());
        } finally {
            QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery(
                    "update tenants set plan_id = (select id from plans where name = 'standard') where id = ?1")
                    .setParameter(1, UUID.fromString(globex)).executeUpdate());
        }
    }

    private static BigDecimal sum(List<Map<String, String>> rows, String column) {
        return rows.stream().map(row -> new BigDecimal(row.get(column))).reduce(BigDecimal.ZERO, BigDecimal::add);
    }

}

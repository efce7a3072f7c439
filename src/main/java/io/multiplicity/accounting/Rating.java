package io.multiplicity.accounting;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agroal.api.AgroalDataSource;
import io.multiplicity.common.Clock;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Rates what tenants held over a period. Allocation is integrated exactly from the allocation
 * periods, clipped to the period (an open period ends now): vCPU-hours = Σ vCPUs × running hours,
 * memory GiB-hours = Σ MiB / 1024 × running hours, disk GiB-months = Σ GiB × hours held (running
 * or not) / hours of the calendar month those hours lie in, image fees per running hour. Snapshot
 * GiB-months come from metering: Σ usedbysnapshots × seconds each sample stands for / seconds of
 * the month. Sums are exact (integer microseconds); each line's quantity is then rounded half-up to
 * 6 decimal places, its cost is that quantity × the unit price rounded half-up to 6 places, the
 * total is the exact sum of line costs and the amount due that total rounded half-up to the
 * currency's minor units (ISO 4217: none for JPY, two for EUR, three for BHD).
 */
@ApplicationScoped
public class Rating {

    public static final int SCALE = 6;
    private static final int WORKING_SCALE = 18;
    private static final BigDecimal MICROS_PER_HOUR = BigDecimal.valueOf(3_600_000_000L);
    private static final BigDecimal MIB_MICROS_PER_GIB_HOUR = MICROS_PER_HOUR.multiply(BigDecimal.valueOf(1024));
    private static final BigDecimal BYTES_PER_GIB = BigDecimal.valueOf(1L << 30);

    @Inject
    AgroalDataSource dataSource;

    @Inject
    ObjectMapper json;

    private record Prices(String plan, String currency, BigDecimal vcpuHour, BigDecimal memoryGibHour,
                          BigDecimal diskGibMonth, BigDecimal snapshotGibMonth, BigDecimal addressHour,
                          BigDecimal egressGib, Map<String, BigDecimal> imageFees) {
    }

    private record TenantRow(UUID id, String slug, Prices prices) {
    }

    /** What one instance accumulated over the period. Sums are exact. */
    private static final class Charges {
        final UUID instanceId;
        final UUID tenantId;
        String name;
        String kind;
        BigInteger vcpuMicros = BigInteger.ZERO;
        BigInteger memoryMibMicros = BigInteger.ZERO;
        final Map<YearMonth, BigInteger> diskGibMicros = new TreeMap<>();
        final Map<YearMonth, BigDecimal> snapshotByteSeconds = new TreeMap<>();
        final Map<String, BigInteger> imageRunningMicros = new TreeMap<>();
        BigInteger addressMicros = BigInteger.ZERO;
        BigDecimal egressBytes = BigDecimal.ZERO;
        Instant firstAddress;
        Instant lastAddress;
        Instant first;
        Instant last;
        Instant firstRunning;
        Instant lastRunning;
        final Measured measured = new Measured();

        Charges(UUID instanceId, UUID tenantId) {
            this.instanceId = instanceId;
            this.tenantId = tenantId;
        }
    }

    private static final class Measured {
        BigDecimal cpuSeconds;
        long memorySamples;
        BigDecimal memorySum = BigDecimal.ZERO;
        long diskSamples;
        BigDecimal diskSum = BigDecimal.ZERO;
        long snapshotSamples;
        BigDecimal snapshotSum = BigDecimal.ZERO;
        Long netRx;
        Long netTx;
        boolean any;
    }

    /**
     * Rates the period for one tenant, or for every tenant when {@code tenantId} is null; a report per
     * tenant, with line items and measurements only when {@code detailed}.
     */
    public List<BillingReport> rate(UUID tenantId, BillingPeriod period, boolean detailed) {
        Instant now = Clock.now();
        try (Connection connection = dataSource.getConnection()) {
            Map<UUID, TenantRow> tenants = tenants(connection, tenantId);
            Map<UUID, Charges> charges = new HashMap<>();
            if (period.from().isBefore(now)) {
                Instant to = period.to().isAfter(now) ? now : period.to();
                integrateAllocations(connection, tenantId, period.from(), to, now, tenants, charges);
                integrateMetering(connection, tenantId, period.from(), to, charges, detailed);
                integrateAddresses(connection, tenantId, period.from(), to, now, tenants, charges);
            }
            Map<UUID, List<Charges>> byTenant = new HashMap<>();
            charges.values().forEach(c -> byTenant.computeIfAbsent(c.tenantId, k -> new ArrayList<>()).add(c));
            List<BillingReport> reports = new ArrayList<>();
            for (TenantRow tenant : tenants.values()) {
                reports.add(report(tenant, period, byTenant.getOrDefault(tenant.id(), new ArrayList<>()), detailed));
            }
            reports.sort(Comparator.comparing(BillingReport::tenant));
            return reports;
        } catch (SQLException e) {
            throw new IllegalStateException("could not rate " + period, e);
        }
    }

    private Map<UUID, TenantRow> tenants(Connection connection, UUID tenantId) throws SQLException {
        String sql = "select t.id, t.slug, p.name, p.currency, p.vcpu_hour, p.memory_gib_hour, p.disk_gib_month,"
                + " p.snapshot_gib_month, p.address_hour, p.egress_gib, p.image_fees::text from tenants t"
                + " left join plans p on p.id = t.plan_id"
                + (tenantId == null ? "" : " where t.id = ?");
        Map<UUID, TenantRow> tenants = new LinkedHashMap<>();
        try (PreparedStatement query = connection.prepareStatement(sql)) {
            if (tenantId != null) {
                query.setObject(1, tenantId);
            }
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    Prices prices = new Prices(rows.getString(3), rows.getString(4) == null ? "EUR" : rows.getString(4),
                            price(rows.getBigDecimal(5)), price(rows.getBigDecimal(6)), price(rows.getBigDecimal(7)),
                            price(rows.getBigDecimal(8)), price(rows.getBigDecimal(9)), price(rows.getBigDecimal(10)),
                            imageFees(rows.getString(11)));
                    UUID id = rows.getObject(1, UUID.class);
                    tenants.put(id, new TenantRow(id, rows.getString(2), prices));
                }
            }
        }
        return tenants;
    }

    private void integrateAllocations(Connection connection, UUID tenantId, Instant from, Instant to, Instant now,
                                      Map<UUID, TenantRow> tenants, Map<UUID, Charges> charges) throws SQLException {
        // Image fees are keyed by the provider's image the instance was made from (found through its
        // image version), never by the reference as typed: "busybox", "busybox/latest" and
        // "busybox@2" are one image, and a tenant's own image of the same name is not the provider's.
        String sql = "select p.instance_id, p.tenant_id, i.name, i.kind,"
                + " case when i.image_version_id is null then p.image else provider.name end,"
                + " p.running, p.vcpus, p.memory_mib,"
                + " p.disk_gib, greatest(p.started_at, ?), least(coalesce(p.ended_at, ?), ?)"
                + " from allocation_periods p join instances i on i.id = p.instance_id"
                + " left join image_versions v on v.id = i.image_version_id"
                + " left join images provider on provider.id = v.image_id and provider.tenant_id is null"
                + " where p.started_at < ? and coalesce(p.ended_at, ?) > ?"
                + (tenantId == null ? "" : " and p.tenant_id = ?");
        OffsetDateTime fromTime = from.atOffset(ZoneOffset.UTC);
        OffsetDateTime toTime = to.atOffset(ZoneOffset.UTC);
        OffsetDateTime nowTime = now.atOffset(ZoneOffset.UTC);
        try (PreparedStatement query = connection.prepareStatement(sql)) {
            query.setObject(1, fromTime);
            query.setObject(2, nowTime);
            query.setObject(3, toTime);
            query.setObject(4, toTime);
            query.setObject(5, nowTime);
            query.setObject(6, fromTime);
            if (tenantId != null) {
                query.setObject(7, tenantId);
            }
            query.setFetchSize(5_000);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    Instant start = rows.getObject(10, OffsetDateTime.class).toInstant();
                    Instant end = rows.getObject(11, OffsetDateTime.class).toInstant();
                    if (!end.isAfter(start)) {
                        continue;
                    }
                    UUID tenant = rows.getObject(2, UUID.class);
                    if (!tenants.containsKey(tenant)) {
                        continue;
                    }
                    UUID instanceId = rows.getObject(1, UUID.class);
                    Charges instance = charges.computeIfAbsent(instanceId, id -> new Charges(id, tenant));
                    instance.name = rows.getString(3);
                    instance.kind = rows.getString(4);
                    String image = rows.getString(5);
                    boolean running = rows.getBoolean(6);
                    long vcpus = rows.getInt(7);
                    long memoryMiB = rows.getInt(8);
                    long diskGiB = rows.getInt(9);
                    long micros = micros(start, end);
                    instance.first = earliest(instance.first, start);
                    instance.last = latest(instance.last, end);
                    if (running) {
                        instance.firstRunning = earliest(instance.firstRunning, start);
                        instance.lastRunning = latest(instance.lastRunning, end);
                        BigInteger length = BigInteger.valueOf(micros);
                        instance.vcpuMicros = instance.vcpuMicros.add(length.multiply(BigInteger.valueOf(vcpus)));
                        instance.memoryMibMicros = instance.memoryMibMicros.add(
                                length.multiply(BigInteger.valueOf(memoryMiB)));
                        String feeKey = image == null ? null : feeKey(tenants.get(tenant).prices().imageFees(), image,
                                instance.kind);
                        if (feeKey != null) {
                            instance.imageRunningMicros.merge(feeKey, length, BigInteger::add);
                        }
                    }
                    // disk is held whether the instance runs or not, and is priced per month it lies in
                    Instant cursor = start;
                    while (cursor.isBefore(end)) {
                        YearMonth month = YearMonth.from(cursor.atOffset(ZoneOffset.UTC));
                        Instant monthEnd = BillingPeriod.month(month).to();
                        Instant segmentEnd = monthEnd.isBefore(end) ? monthEnd : end;
                        instance.diskGibMicros.merge(month,
                                BigInteger.valueOf(micros(cursor, segmentEnd)).multiply(BigInteger.valueOf(diskGiB)),
                                BigInteger::add);
                        cursor = segmentEnd;
                    }
                }
            }
        }
    }

    /**
     * Public-address time per instance: each public address given to it and each port forward to it
     * counts for the time it was held, clipped to the period (one still held ends now).
     */
    private void integrateAddresses(Connection connection, UUID tenantId, Instant from, Instant to, Instant now,
                                    Map<UUID, TenantRow> tenants, Map<UUID, Charges> charges) throws SQLException {
        String held = "select instance_id, tenant_id, created_at, released_at from address_assignments"
                + " union all select instance_id, tenant_id, created_at, released_at from port_forwards";
        String sql = "select h.instance_id, h.tenant_id, i.name, i.kind, greatest(h.created_at, ?),"
                + " least(coalesce(h.released_at, ?), ?)"
                + " from (" + held + ") h join instances i on i.id = h.instance_id"
                + " where h.created_at < ? and coalesce(h.released_at, ?) > ?"
                + (tenantId == null ? "" : " and h.tenant_id = ?");
        OffsetDateTime fromTime = from.atOffset(ZoneOffset.UTC);
        OffsetDateTime toTime = to.atOffset(ZoneOffset.UTC);
        OffsetDateTime nowTime = now.atOffset(ZoneOffset.UTC);
        try (PreparedStatement query = connection.prepareStatement(sql)) {
            query.setObject(1, fromTime);
            query.setObject(2, nowTime);
            query.setObject(3, toTime);
            query.setObject(4, toTime);
            query.setObject(5, nowTime);
            query.setObject(6, fromTime);
            if (tenantId != null) {
                query.setObject(7, tenantId);
            }
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    UUID tenant = rows.getObject(2, UUID.class);
                    Instant start = rows.getObject(5, OffsetDateTime.class).toInstant();
                    Instant end = rows.getObject(6, OffsetDateTime.class).toInstant();
                    if (!tenants.containsKey(tenant) || !end.isAfter(start)) {
                        continue;
                    }
                    Charges instance = charges.computeIfAbsent(rows.getObject(1, UUID.class),
                            id -> new Charges(id, tenant));
                    instance.name = rows.getString(3);
                    instance.kind = rows.getString(4);
                    instance.addressMicros = instance.addressMicros.add(BigInteger.valueOf(micros(start, end)));
                    instance.firstAddress = earliest(instance.firstAddress, start);
                    instance.lastAddress = latest(instance.lastAddress, end);
                }
            }
        }
    }

    /**
     * Snapshot byte-seconds and measured use per instance and month. Complete days that are rolled up
     * come from the daily rollups (their sums equal those of the hours and samples they summarise,
     * and a month needs a thirtieth of the rows); the partial days at the edges of the range come
     * from the finest level that still covers them.
     */
    private void integrateMetering(Connection connection, UUID tenantId, Instant from, Instant to,
                                   Map<UUID, Charges> charges, boolean detailed) throws SQLException {
        Instant daysRolledUpTo;
        try (PreparedStatement query = connection.prepareStatement("select case when rolled_up_to = '-infinity'"
                + " then null else date_trunc('day', rolled_up_to, 'UTC') end from metering_watermarks where id = 1");
             ResultSet rows = query.executeQuery()) {
            rows.next();
            OffsetDateTime value = rows.getObject(1, OffsetDateTime.class);
            daysRolledUpTo = value == null ? null : value.toInstant();
        }
        Instant firstDay = from.truncatedTo(ChronoUnit.DAYS);
        if (firstDay.isBefore(from)) {
            firstDay = firstDay.plus(1, ChronoUnit.DAYS);
        }
        Instant lastDay = to.truncatedTo(ChronoUnit.DAYS);
        if (daysRolledUpTo != null && daysRolledUpTo.isBefore(lastDay)) {
            lastDay = daysRolledUpTo;
        }
        if (daysRolledUpTo == null || !firstDay.isBefore(lastDay)) {
            integrateFinest(connection, tenantId, from, to, charges, detailed);
            return;
        }
        if (from.isBefore(firstDay)) {
            integrateFinest(connection, tenantId, from, firstDay, charges, detailed);
        }
        String sql = "select instance_id, date_trunc('month', bucket_start, 'UTC')," + ROLLUP_COLUMNS
                + " from metering_rollups where granularity = 'day' and bucket_start >= ? and bucket_start < ?"
                + (tenantId == null ? "" : " and tenant_id = ?") + " group by 1, 2";
        try (PreparedStatement query = connection.prepareStatement(sql)) {
            query.setObject(1, firstDay.atOffset(ZoneOffset.UTC));
            query.setObject(2, lastDay.atOffset(ZoneOffset.UTC));
            if (tenantId != null) {
                query.setObject(3, tenantId);
            }
            query.setFetchSize(5_000);
            try (ResultSet rows = query.executeQuery()) {
                accumulate(rows, charges, detailed);
            }
        }
        if (lastDay.isBefore(to)) {
            integrateFinest(connection, tenantId, lastDay, to, charges, detailed);
        }
    }

    private static final String ROLLUP_COLUMNS = " sum(snapshot_byte_seconds), sum(cpu_seconds),"
            + "   sum(case when memory_bytes_avg is null then 0 else samples end), sum(memory_bytes_avg::numeric * samples),"
            + "   sum(case when disk_used_bytes_avg is null then 0 else samples end), sum(disk_used_bytes_avg::numeric * samples),"
            + "   sum(case when snapshot_bytes_avg is null then 0 else samples end), sum(snapshot_bytes_avg::numeric * samples),"
            + "   sum(net_rx_bytes), sum(net_tx_bytes), sum(egress_bytes)";

    /**
     * Metering of a stretch from the finest level that still covers it: raw samples, then hourly,
     * then daily rollups. A sample stands for the interval that ends at its time, so a stretch takes
     * the samples in (from, to].
     */
    private void integrateFinest(Connection connection, UUID tenantId, Instant from, Instant to,
                                 Map<UUID, Charges> charges, boolean detailed) throws SQLException {
        String tenantFilter = tenantId == null ? "" : " and tenant_id = ?";
        String sql = "with w as (select raw_from, hourly_from from metering_watermarks where id = 1),"
                + " raw as (select instance_id, sampled_at, snapshot_bytes, interval_seconds, memory_bytes, disk_used_bytes,"
                + "   cpu_seconds, net_rx_bytes, net_tx_bytes, egress_bytes,"
                + "   lag(cpu_seconds) over (partition by instance_id order by sampled_at) as cpu_before,"
                + "   lag(net_rx_bytes) over (partition by instance_id order by sampled_at) as rx_before,"
                + "   lag(net_tx_bytes) over (partition by instance_id order by sampled_at) as tx_before"
                + "   from metering_samples, w where sampled_at > greatest(?, w.raw_from) and sampled_at <= ?" + tenantFilter
                + " )"
                + " select instance_id, date_trunc('month', sampled_at - interval '1 microsecond', 'UTC'), sum(snapshot_bytes::numeric * interval_seconds),"
                + "   sum(case when cpu_before is null then 0 when cpu_seconds >= cpu_before then cpu_seconds - cpu_before"
                + "       else cpu_seconds end),"
                + "   count(memory_bytes), sum(memory_bytes), count(disk_used_bytes), sum(disk_used_bytes),"
                + "   count(snapshot_bytes), sum(snapshot_bytes),"
                + "   sum(case when rx_before is null then 0 when net_rx_bytes >= rx_before then net_rx_bytes - rx_before"
                + "       else net_rx_bytes end),"
                + "   sum(case when tx_before is null then 0 when net_tx_bytes >= tx_before then net_tx_bytes - tx_before"
                + "       else net_tx_bytes end),"
                + "   sum(egress_bytes)"
                + " from raw group by 1, 2"
                + " union all"
                + " select instance_id, date_trunc('month', bucket_start, 'UTC')," + ROLLUP_COLUMNS
                + " from metering_rollups, w where ((granularity = 'hour' and bucket_start >= greatest(?, w.hourly_from)"
                + "   and bucket_start < least(?, w.raw_from))"
                + "   or (granularity = 'day' and bucket_start >= ? and bucket_start < least(?, w.hourly_from)))"
                + tenantFilter
                + " group by 1, 2";
        OffsetDateTime fromTime = from.atOffset(ZoneOffset.UTC);
        OffsetDateTime toTime = to.atOffset(ZoneOffset.UTC);
        try (PreparedStatement query = connection.prepareStatement(sql)) {
            int index = 1;
            query.setObject(index++, fromTime);
            query.setObject(index++, toTime);
            if (tenantId != null) {
                query.setObject(index++, tenantId);
            }
            query.setObject(index++, fromTime);
            query.setObject(index++, toTime);
            query.setObject(index++, fromTime);
            query.setObject(index++, toTime);
            if (tenantId != null) {
                query.setObject(index, tenantId);
            }
            query.setFetchSize(5_000);
            try (ResultSet rows = query.executeQuery()) {
                accumulate(rows, charges, detailed);
            }
        }
    }

    private static void accumulate(ResultSet rows, Map<UUID, Charges> charges, boolean detailed) throws SQLException {
        while (rows.next()) {
            Charges instance = charges.get(rows.getObject(1, UUID.class));
            if (instance == null) {
                continue;  // sampled, but held nothing in the period: nothing to bill
            }
            YearMonth month = YearMonth.from(rows.getObject(2, OffsetDateTime.class).withOffsetSameInstant(
                    ZoneOffset.UTC));
            BigDecimal byteSeconds = rows.getBigDecimal(3);
            if (byteSeconds != null) {
                instance.snapshotByteSeconds.merge(month, byteSeconds, BigDecimal::add);
            }
            BigDecimal egress = rows.getBigDecimal(13);
            if (egress != null) {
                instance.egressBytes = instance.egressBytes.add(egress);
            }
            if (!detailed) {
                continue;
            }
            Measured measured = instance.measured;
            measured.any = true;
            BigDecimal cpu = rows.getBigDecimal(4);
            if (cpu != null) {
                measured.cpuSeconds = measured.cpuSeconds == null ? cpu : measured.cpuSeconds.add(cpu);
            }
            measured.memorySamples += rows.getLong(5);
            measured.memorySum = measured.memorySum.add(zeroIfNull(rows.getBigDecimal(6)));
            measured.diskSamples += rows.getLong(7);
            measured.diskSum = measured.diskSum.add(zeroIfNull(rows.getBigDecimal(8)));
            measured.snapshotSamples += rows.getLong(9);
            measured.snapshotSum = measured.snapshotSum.add(zeroIfNull(rows.getBigDecimal(10)));
            BigDecimal rx = rows.getBigDecimal(11);
            BigDecimal tx = rows.getBigDecimal(12);
            if (rx != null) {
                measured.netRx = (measured.netRx == null ? 0 : measured.netRx) + rx.longValue();
            }
            if (tx != null) {
                measured.netTx = (measured.netTx == null ? 0 : measured.netTx) + tx.longValue();
            }
        }
    }

    private BillingReport report(TenantRow tenant, BillingPeriod period, List<Charges> instances, boolean detailed) {
        Prices prices = tenant.prices();
        instances.sort(Comparator.comparing((Charges c) -> c.name == null ? "" : c.name).thenComparing(c -> c.instanceId));
        List<BillingReport.LineItem> lines = new ArrayList<>();
        Map<UUID, BillingReport.MeasuredUse> measured = detailed ? new LinkedHashMap<>() : null;
        for (Charges instance : instances) {
            BigDecimal vcpuHours = divide(new BigDecimal(instance.vcpuMicros), MICROS_PER_HOUR);
            add(lines, instance, "vcpu", "vCPU-hours of running time", vcpuHours, "vCPU-hour", prices.vcpuHour(),
                    instance.firstRunning, instance.lastRunning);
            BigDecimal memoryHours = divide(new BigDecimal(instance.memoryMibMicros), MIB_MICROS_PER_GIB_HOUR);
            add(lines, instance, "memory", "GiB-hours of memory while running", memoryHours, "GiB-hour",
                    prices.memoryGibHour(), instance.firstRunning, instance.lastRunning);
            BigDecimal diskMonths = BigDecimal.ZERO;
            for (Map.Entry<YearMonth, BigInteger> entry : instance.diskGibMicros.entrySet()) {
                diskMonths = diskMonths.add(new BigDecimal(entry.getValue()).divide(
                        BigDecimal.valueOf(monthMicros(entry.getKey())), WORKING_SCALE, RoundingMode.HALF_UP));
            }
            add(lines, instance, "disk", "GiB-months of disk allocated", diskMonths, "GiB-month", prices.diskGibMonth(),
                    instance.first, instance.last);
            BigDecimal snapshotMonths = BigDecimal.ZERO;
            for (Map.Entry<YearMonth, BigDecimal> entry : instance.snapshotByteSeconds.entrySet()) {
                snapshotMonths = snapshotMonths.add(entry.getValue().divide(
                        BYTES_PER_GIB.multiply(BigDecimal.valueOf(monthMicros(entry.getKey()) / 1_000_000)),
                        WORKING_SCALE, RoundingMode.HALF_UP));
            }
            add(lines, instance, "snapshot", "GiB-months of snapshots (usedbysnapshots over time)", snapshotMonths,
                    "GiB-month", prices.snapshotGibMonth(), instance.first, instance.last);
            for (Map.Entry<String, BigInteger> image : instance.imageRunningMicros.entrySet()) {
                add(lines, instance, "image", image.getKey(), "image " + image.getKey() + " per running hour",
                        divide(new BigDecimal(image.getValue()), MICROS_PER_HOUR), "instance-hour",
                        prices.imageFees().get(image.getKey()), instance.firstRunning, instance.lastRunning);
            }
            add(lines, instance, "egress", "GiB sent out through the host's uplink (IP bytes)",
                    instance.egressBytes.divide(BYTES_PER_GIB, WORKING_SCALE, RoundingMode.HALF_UP), "GiB",
                    prices.egressGib(), instance.first, instance.last);
            add(lines, instance, "address", "public-address hours (addresses and port forwards held)",
                    divide(new BigDecimal(instance.addressMicros), MICROS_PER_HOUR), "address-hour",
                    prices.addressHour(), instance.firstAddress, instance.lastAddress);
            if (detailed && instance.measured.any) {
                Measured m = instance.measured;
                measured.put(instance.instanceId, new BillingReport.MeasuredUse(m.cpuSeconds, average(m.memorySum,
                        m.memorySamples), m.netRx, m.netTx, average(m.diskSum, m.diskSamples),
                        average(m.snapshotSum, m.snapshotSamples)));
            }
        }
        Map<String, BillingReport.ResourceTotal> resources = new LinkedHashMap<>();
        BigDecimal total = BigDecimal.ZERO.setScale(SCALE);
        for (BillingReport.LineItem line : lines) {
            resources.merge(line.resource(), new BillingReport.ResourceTotal(line.quantity(), line.unit(), line.cost()),
                    (a, b) -> new BillingReport.ResourceTotal(a.quantity().add(b.quantity()), a.unit(),
                            a.cost().add(b.cost())));
            total = total.add(line.cost());
        }
        return new BillingReport(tenant.id(), tenant.slug(), prices.plan(), prices.currency(),
                Currencies.minorUnits(prices.currency()), period.label(), period.from(), period.to(), instances.size(),
                detailed ? lines : null, resources, total, Currencies.due(total, prices.currency()), measured);
    }

    private static void add(List<BillingReport.LineItem> lines, Charges instance, String resource, String description,
                            BigDecimal exact, String unit, BigDecimal unitPrice, Instant start, Instant end) {
        add(lines, instance, resource, null, description, exact, unit, unitPrice, start, end);
    }

    private static void add(List<BillingReport.LineItem> lines, Charges instance, String resource, String image,
                            String description, BigDecimal exact, String unit, BigDecimal unitPrice, Instant start,
                            Instant end) {
        BigDecimal quantity = exact.setScale(SCALE, RoundingMode.HALF_UP);
        if (quantity.signum() == 0) {
            return;
        }
        BigDecimal price = unitPrice == null ? BigDecimal.ZERO.setScale(SCALE) : unitPrice;
        BigDecimal cost = quantity.multiply(price).setScale(SCALE, RoundingMode.HALF_UP);
        lines.add(new BillingReport.LineItem(instance.instanceId, instance.name, instance.kind, resource, image,
                description, quantity, unit, price, cost, start, end));
    }

    private static BigDecimal divide(BigDecimal amount, BigDecimal by) {
        return amount.divide(by, WORKING_SCALE, RoundingMode.HALF_UP);
    }

    private static Long average(BigDecimal sum, long count) {
        return count == 0 ? null : sum.divide(BigDecimal.valueOf(count), 0, RoundingMode.HALF_UP).longValue();
    }

    private static long monthMicros(YearMonth month) {
        return month.lengthOfMonth() * 86_400_000_000L;
    }

    private static long micros(Instant start, Instant end) {
        return (end.getEpochSecond() - start.getEpochSecond()) * 1_000_000L + (end.getNano() - start.getNano()) / 1_000;
    }

    private static Instant earliest(Instant a, Instant b) {
        return a == null || b.isBefore(a) ? b : a;
    }

    private static Instant latest(Instant a, Instant b) {
        return a == null || b.isAfter(a) ? b : a;
    }

    private static BigDecimal price(BigDecimal value) {
        return value == null ? BigDecimal.ZERO.setScale(SCALE) : value.setScale(SCALE, RoundingMode.HALF_UP);
    }

    private static BigDecimal zeroIfNull(BigDecimal value) {
        return value == null ? BigDecimal.ZERO : value;
    }

    /**
     * The plan's fee key for a provider image: {@code name:kind} (a fee for one of two images of the
     * same name, e.g. {@code debian:vm}) before {@code name} (every kind of that name); null without a fee.
     */
    static String feeKey(Map<String, BigDecimal> fees, String image, String kind) {
        String qualified = image + ":" + kind;
        return fees.containsKey(qualified) ? qualified : fees.containsKey(image) ? image : null;
    }

        private Map<String, BigDecimal> imageFees(String text) {
        if (text == null || text.isBlank()) {
            return Map.of();
        }
        try {
            Map<String, Object> fees = json.readValue(text, new TypeReference<Map<String, Object>>() { });
            Map<String, BigDecimal> prices = new HashMap<>();
            fees.forEach((image, fee) -> {
                if (fee instanceof Number || fee instanceof String) {
                    prices.put(image, new BigDecimal(fee.toString()).setScale(SCALE, RoundingMode.HALF_UP));
                }
            });
            return prices;
        } catch (IOException e) {
            throw new UncheckedIOException("a plan's image fees are not valid JSON", e);
        }
    }
}

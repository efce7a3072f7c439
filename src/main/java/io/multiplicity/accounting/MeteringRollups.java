package io.multiplicity.accounting;

import io.multiplicity.common.Clock;
import io.multiplicity.common.SqlInstants;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import org.jboss.logging.Logger;

/**
 * Rolls raw samples up into hours and hours into days, then deletes what retention lets go, moving
 * the watermarks that tell readers which level covers which stretch of time. Raw samples are only
 * deleted once their hours are rolled up, hourly rollups once their days are, so every moment stays
 * covered by exactly one level. Each pass is one transaction and may be repeated.
 *
 * <p>A bucket's CPU time and network bytes are the increases of the cumulative counters within it
 * (a drop counts as a restart of the counter); memory, disk and snapshot sizes are averages over
 * the samples; snapshot byte-seconds are summed, so rating integrates them the same from any level.
 * A sample stands for the interval that ends at its time: the hour bucket starting at h holds the
 * samples taken in (h, h + 1 h].
 */
@ApplicationScoped
public class MeteringRollups {

    private static final Logger LOG = Logger.getLogger(MeteringRollups.class);

    @Inject
    EntityManager em;

    @Inject
    MeteringConfig config;

    @Scheduled(every = "${multiplicity.metering.rollup-interval:10m}", delayed = "1m",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        if (config.scheduled()) {
            try {
                run();
            } catch (RuntimeException e) {
                LOG.warn("metering rollup failed", e);
            }
        }
    }

    /** Rolls up every complete hour and day up to now and applies retention. */
    public void run() {
        Instant now = Clock.now();
        QuarkusTransaction.requiringNew().run(() -> {
            em.createNativeQuery("select 1 from metering_watermarks where id = 1 for update").getResultList();
            Instant rolledUpTo = SqlInstants.of(em.createNativeQuery(
                    "select case when rolled_up_to = '-infinity' then (select min(sampled_at) - interval '1 microsecond' from metering_samples)"
                            + " else rolled_up_to end from metering_watermarks where id = 1").getSingleResult());
            Instant hourEnd = now.truncatedTo(ChronoUnit.HOURS);
            if (rolledUpTo != null) {
                Instant hourStart = rolledUpTo.truncatedTo(ChronoUnit.HOURS);
                if (hourStart.isBefore(hourEnd)) {
                    rollUpHours(hourStart, hourEnd);
                    Instant dayStart = hourStart.truncatedTo(ChronoUnit.DAYS);
                    Instant dayEnd = hourEnd.truncatedTo(ChronoUnit.DAYS);
                    if (dayStart.isBefore(dayEnd)) {
                        rollUpDays(dayStart, dayEnd);
                    }
                }
                em.createNativeQuery("update metering_watermarks set rolled_up_to = greatest(rolled_up_to, ?1)")
                        .setParameter(1, time(hourEnd)).executeUpdate();
            }
            expire(now, hourEnd);
        });
    }

    private void rollUpHours(Instant from, Instant to) {
        em.createNativeQuery("insert into metering_rollups (instance_id, granularity, bucket_start, tenant_id, samples,"
                        + " running_seconds, sampled_seconds, cpu_seconds, memory_bytes_avg, memory_bytes_max,"
                        + " disk_used_bytes_avg, snapshot_bytes_avg, snapshot_byte_seconds, net_rx_bytes, net_tx_bytes,"
                        + " egress_bytes)"
                        + " select instance_id, 'hour', date_trunc('hour', sampled_at - interval '1 microsecond', 'UTC'), tenant_id, count(*),"
                        + "   sum(case when running then interval_seconds else 0 end), sum(interval_seconds),"
                        + "   sum(case when cpu_before is null then 0 when cpu_seconds >= cpu_before"
                        + "       then cpu_seconds - cpu_before else cpu_seconds end),"
                        + "   avg(memory_bytes)::bigint, max(memory_bytes), avg(disk_used_bytes)::bigint,"
                        + "   avg(snapshot_bytes)::bigint, sum(snapshot_bytes::numeric * interval_seconds),"
                        + "   sum(case when rx_before is null then 0 when net_rx_bytes >= rx_before"
                        + "       then net_rx_bytes - rx_before else net_rx_bytes end),"
                        + "   sum(case when tx_before is null then 0 when net_tx_bytes >= tx_before"
                        + "       then net_tx_bytes - tx_before else net_tx_bytes end),"
                        + "   sum(egress_bytes)"
                        + " from (select s.*,"
                        + "   lag(cpu_seconds) over (partition by instance_id order by sampled_at) as cpu_before,"
                        + "   lag(net_rx_bytes) over (partition by instance_id order by sampled_at) as rx_before,"
                        + "   lag(net_tx_bytes) over (partition by instance_id order by sampled_at) as tx_before"
                        + "   from metering_samples s where sampled_at > cast(?1 as timestamptz) - interval '1 hour' and sampled_at <= ?2) s"
                        + " where sampled_at > ?1"
                        + " group by instance_id, tenant_id, date_trunc('hour', sampled_at - interval '1 microsecond', 'UTC')"
                        + " on conflict (instance_id, granularity, bucket_start) do update set samples = excluded.samples,"
                        + "   running_seconds = excluded.running_seconds, sampled_seconds = excluded.sampled_seconds,"
                        + "   cpu_seconds = excluded.cpu_seconds, memory_bytes_avg = excluded.memory_bytes_avg,"
                        + "   memory_bytes_max = excluded.memory_bytes_max, disk_used_bytes_avg = excluded.disk_used_bytes_avg,"
                        + "   snapshot_bytes_avg = excluded.snapshot_bytes_avg,"
                        + "   snapshot_byte_seconds = excluded.snapshot_byte_seconds, net_rx_bytes = excluded.net_rx_bytes,"
                        + "   net_tx_bytes = excluded.net_tx_bytes, egress_bytes = excluded.egress_bytes")
                .setParameter(1, time(from))
                .setParameter(2, time(to))
                .executeUpdate();
    }

    private void rollUpDays(Instant from, Instant to) {
        em.createNativeQuery("insert into metering_rollups (instance_id, granularity, bucket_start, tenant_id, samples,"
                        + " running_seconds, sampled_seconds, cpu_seconds, memory_bytes_avg, memory_bytes_max,"
                        + " disk_used_bytes_avg, snapshot_bytes_avg, snapshot_byte_seconds, net_rx_bytes, net_tx_bytes,"
                        + " egress_bytes)"
                        + " select instance_id, 'day', date_trunc('day', bucket_start, 'UTC'), tenant_id, sum(samples),"
                        + "   sum(running_seconds), sum(sampled_seconds), sum(cpu_seconds),"
                        + "   (sum(memory_bytes_avg::numeric * samples) / nullif(sum(case when memory_bytes_avg is null"
                        + "       then 0 else samples end), 0))::bigint, max(memory_bytes_max),"
                        + "   (sum(disk_used_bytes_avg::numeric * samples) / nullif(sum(case when disk_used_bytes_avg is null"
                        + "       then 0 else samples end), 0))::bigint,"
                        + "   (sum(snapshot_bytes_avg::numeric * samples) / nullif(sum(case when snapshot_bytes_avg is null"
                        + "       then 0 else samples end), 0))::bigint,"
                        + "   sum(snapshot_byte_seconds), sum(net_rx_bytes), sum(net_tx_bytes), sum(egress_bytes)"
                        + " from metering_rollups where granularity = 'hour' and bucket_start >= ?1 and bucket_start < ?2"
                        + " group by instance_id, tenant_id, date_trunc('day', bucket_start, 'UTC')"
                        + " on conflict (instance_id, granularity, bucket_start) do update set samples = excluded.samples,"
                        + "   running_seconds = excluded.running_seconds, sampled_seconds = excluded.sampled_seconds,"
                        + "   cpu_seconds = excluded.cpu_seconds, memory_bytes_avg = excluded.memory_bytes_avg,"
                        + "   memory_bytes_max = excluded.memory_bytes_max, disk_used_bytes_avg = excluded.disk_used_bytes_avg,"
                        + "   snapshot_bytes_avg = excluded.snapshot_bytes_avg,"
                        + "   snapshot_byte_seconds = excluded.snapshot_byte_seconds, net_rx_bytes = excluded.net_rx_bytes,"
                        + "   net_tx_bytes = excluded.net_tx_bytes, egress_bytes = excluded.egress_bytes")
                .setParameter(1, time(from))
                .setParameter(2, time(to))
                .executeUpdate();
    }

    private void expire(Instant now, Instant hoursRolledUpTo) {
        Instant rawCutoff = earlier(now.minus(config.retention().raw()), hoursRolledUpTo).truncatedTo(ChronoUnit.HOURS);
        em.createNativeQuery("delete from metering_samples where sampled_at <= ?1").setParameter(1, time(rawCutoff))
                .executeUpdate();
        em.createNativeQuery("update metering_watermarks set raw_from = greatest(raw_from, ?1)")
                .setParameter(1, time(rawCutoff)).executeUpdate();
        Instant daysRolledUpTo = hoursRolledUpTo.truncatedTo(ChronoUnit.DAYS);
        Instant hourlyCutoff = earlier(earlier(now.minus(config.retention().hourly()), daysRolledUpTo), rawCutoff)
                .truncatedTo(ChronoUnit.DAYS);
        em.createNativeQuery("delete from metering_rollups where granularity = 'hour' and bucket_start < ?1")
                .setParameter(1, time(hourlyCutoff)).executeUpdate();
        em.createNativeQuery("update metering_watermarks set hourly_from = greatest(hourly_from, ?1)")
                .setParameter(1, time(hourlyCutoff)).executeUpdate();
        Instant dailyCutoff = earlier(now.minus(config.retention().daily()), hourlyCutoff);
        em.createNativeQuery("delete from metering_rollups where granularity = 'day' and bucket_start < ?1")
                .setParameter(1, time(dailyCutoff)).executeUpdate();
    }

    private static Instant earlier(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    private static OffsetDateTime time(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }

}

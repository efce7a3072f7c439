package io.multiplicity.accounting;

import io.multiplicity.common.ApiException;
import io.multiplicity.common.QueryInstants;
import io.multiplicity.common.Items;
import io.multiplicity.identity.Roles;
import io.multiplicity.instance.InstanceService;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/instances/{id}/metrics")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "instances")
public class MetricsResource {

    /** One metering sample: measured use, null where the host does not measure it. */
    @Schema(requiredProperties = {"at"})
    public record Sample(Instant at, boolean running, Double cpuPercent, Long memoryMiB, Double diskUsedGiB,
                         Long netRxBytes, Long netTxBytes) {
    }

    @Inject
    InstanceService instances;

    @Inject
    EntityManager em;

    @GET
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER})
    @Operation(operationId = "getInstanceMetrics",
            summary = "An instance's measured use over time (default: the last hour), from metering samples")
    public Items<Sample> metrics(@PathParam("id") UUID id, @QueryParam("from") String from,
                                             @QueryParam("to") String to) {
        instances.get(id);
        Instant end = QueryInstants.parse("to", to, Instant.now());
        Instant start = QueryInstants.parse("from", from, end.minus(Duration.ofHours(1)));
        if (!start.isBefore(end) || Duration.between(start, end).toDays() > 31) {
            throw ApiException.badRequest("invalid_range", "from must be before to, at most 31 days apart",
                    Map.of("from", start.toString(), "to", end.toString()));
        }
        @SuppressWarnings("unchecked")
        List<Object[]> rows = em.createNativeQuery("select sampled_at, running, cpu_seconds, memory_bytes,"
                        + " disk_used_bytes, net_rx_bytes, net_tx_bytes from metering_samples"
                        + " where instance_id = ?1 and sampled_at >= ?2 and sampled_at < ?3 order by sampled_at")
                .setParameter(1, id).setParameter(2, start).setParameter(3, end)
                .setMaxResults(5000)
                .getResultList();
        List<Sample> samples = new ArrayList<>();
        Instant previousAt = null;
        BigDecimal previousCpu = null;
        for (Object[] row : rows) {
            Instant at = row[0] instanceof java.time.OffsetDateTime offset ? offset.toInstant()
                    : row[0] instanceof java.sql.Timestamp timestamp ? timestamp.toInstant() : (Instant) row[0];
            BigDecimal cpu = (BigDecimal) row[2];
            Double cpuPercent = null;
            if (cpu != null && previousCpu != null && previousAt != null && cpu.compareTo(previousCpu) >= 0) {
                double seconds = Duration.between(previousAt, at).toMillis() / 1000.0;
                if (seconds > 0) {
                    cpuPercent = cpu.subtract(previousCpu).doubleValue() / seconds * 100;
                }
            }
            samples.add(new Sample(at, Boolean.TRUE.equals(row[1]), cpuPercent,
                    row[3] == null ? null : ((Number) row[3]).longValue() / (1024 * 1024),
                    row[4] == null ? null : ((Number) row[4]).doubleValue() / (1L << 30),
                    row[5] == null ? null : ((Number) row[5]).longValue(),
                    row[6] == null ? null : ((Number) row[6]).longValue()));
            previousAt = at;
            previousCpu = cpu;
        }
        return new Items<>(samples);
    }
}

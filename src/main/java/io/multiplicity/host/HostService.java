package io.multiplicity.host;

import io.multiplicity.audit.AuditService;
import io.multiplicity.common.ApiException;
import io.multiplicity.operation.Operation;
import io.multiplicity.operation.OperationService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Hosts, for platform admins: capacity, overcommit and what is allocated. */
@ApplicationScoped
@Transactional
public class HostService {

    @Inject
    Placement placement;

    @Inject
    OperationService operations;

    @Inject
    AuditService audit;

    public record HostSummary(Host host, Placement.Allocated allocated) {
    }

    @Transactional(Transactional.TxType.SUPPORTS)
    public List<HostSummary> list() {
        List<Host> hosts = Host.list("order by name");
        Map<UUID, Placement.Allocated> allocated = placement.allocated(hosts.stream().map(host -> host.id).toList());
        return hosts.stream()
                .map(host -> new HostSummary(host, allocated.getOrDefault(host.id, new Placement.Allocated(0, 0, 0))))
                .toList();
    }

    @Transactional(Transactional.TxType.SUPPORTS)
    public HostSummary get(UUID id) {
        return list().stream().filter(summary -> summary.host().id.equals(id)).findFirst()
                .orElseThrow(() -> ApiException.notFound("host", id));
    }

    public static final String CORDON = "host.cordon";
    public static final String UNCORDON = "host.uncordon";

    /**
     * Cordons a host (it keeps its instances and takes no new one) or lifts that; audited with the
     * admin who asked. Cordoning a cordoned host changes nothing and says so (409).
     */
    public Operation cordon(UUID id, boolean cordoned) {
        Host host = Host.findById(id, LockModeType.PESSIMISTIC_WRITE);
        if (host == null) {
            throw ApiException.notFound("host", id);
        }
        if (host.cordoned == cordoned) {
            throw ApiException.conflict(cordoned ? "host_cordoned" : "host_not_cordoned",
                    "host " + host.name + (cordoned ? " is cordoned already" : " is not cordoned"),
                    Map.of("host", host.name));
        }
        host.cordoned = cordoned;
        String action = cordoned ? CORDON : UNCORDON;
        Map<String, Object> detail = Map.of("host", host.name, "cordoned", cordoned);
        audit.record(null, action, "host", host.id, "succeeded", detail);
        return operations.completed(null, action, "host", host.id, detail);
    }

    public Operation update(UUID id, HostResource.UpdateHostRequest request) {
        Host host = Host.findById(id, LockModeType.PESSIMISTIC_WRITE);
        if (host == null) {
            throw ApiException.notFound("host", id);
        }
        Map<String, Object> changes = new LinkedHashMap<>();
        if (request.state() != null) {
            host.state = request.state();
            changes.put("state", request.state());
        }
        if (request.cpuRatio() != null) {
            host.cpuRatio = request.cpuRatio();
            changes.put("cpuRatio", request.cpuRatio());
        }
        if (request.memoryRatio() != null) {
            host.memoryRatio = request.memoryRatio();
            changes.put("memoryRatio", request.memoryRatio());
        }
        if (request.diskRatio() != null) {
            host.diskRatio = request.diskRatio();
            changes.put("diskRatio", request.diskRatio());
        }
        if (request.reservedCpus() != null) {
            host.reservedCpus = request.reservedCpus();
            changes.put("reservedCpus", request.reservedCpus());
        }
        if (request.reservedMemoryMiB() != null) {
            host.reservedMemoryMiB = request.reservedMemoryMiB();
            changes.put("reservedMemoryMiB", request.reservedMemoryMiB());
        }
        if (request.reservedStorageGiB() != null) {
            host.reservedStorageGiB = request.reservedStorageGiB();
            changes.put("reservedStorageGiB", request.reservedStorageGiB());
        }
        if (changes.isEmpty()) {
            throw ApiException.badRequest("validation_failed", "the request changes nothing", null);
        }
        audit.record(null, "host.update", "host", host.id, "succeeded", changes);
        return operations.completed(null, "host.update", "host", host.id, changes);
    }
}

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

package io.multiplicity.accounting;

import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A tenant's quota as tenants and admins both see it: per resource the limit (null = unlimited),
 * what is allocated, and what is really used (null where nothing measures it yet).
 */
@Schema(requiredProperties = {"tenant", "runningOnly", "resources"})
public record QuotaView(String tenant, String plan, boolean runningOnly, Map<String, Line> resources) {

    @Schema(requiredProperties = {"allocated"})
    public record Line(Long limit, long allocated, Long used) {
    }

    static QuotaView of(String tenant, String plan, QuotaLimits limits, Allocation allocation, Map<String, Long> used) {
        Map<String, Line> resources = new LinkedHashMap<>();
        resources.put("instances", new Line(limits.instances(), allocation.instances(), used.get("instances")));
        resources.put("vcpus", new Line(limits.vcpus(),
                limits.runningOnly() ? allocation.runningVcpus() : allocation.vcpus(), used.get("vcpus")));
        resources.put("memoryMiB", new Line(limits.memoryMiB(),
                limits.runningOnly() ? allocation.runningMemoryMiB() : allocation.memoryMiB(), used.get("memoryMiB")));
        resources.put("diskGiB", new Line(limits.diskGiB(), allocation.diskGiB(), used.get("diskGiB")));
        resources.put("snapshots", new Line(limits.snapshots(), allocation.snapshots(), used.get("snapshots")));
        resources.put("snapshotGiB", new Line(limits.snapshotGiB(), allocation.snapshotGiB(), used.get("snapshotGiB")));
        resources.put("privateImages", new Line(limits.privateImages(), allocation.privateImages(),
                used.get("privateImages")));
        resources.put("imageMiB", new Line(limits.imageMiB(), allocation.imageMiB(), used.get("imageMiB")));
        resources.put("addresses", new Line(limits.addresses(), allocation.addresses(), used.get("addresses")));
        resources.put("consoleSessions", new Line(limits.consoleSessions(), allocation.consoleSessions(),
                used.get("consoleSessions")));
        return new QuotaView(tenant, plan, limits.runningOnly(), resources);
    }
}

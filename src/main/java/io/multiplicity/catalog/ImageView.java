package io.multiplicity.catalog;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * An image as the API shows it.
 *
 * @param tenant      the owning tenant's name; null for the provider's images
 * @param reference   what to put in an instance's {@code image} field for the newest version
 * @param channels    channel → version label
 * @param sharedWith  tenants it is shared with (owners and platform admins only, else null)
 * @param versions    its versions, newest first (on a single image; null in lists)
 */
public record ImageView(
        UUID id,
        String name,
        String tenant,
        String kind,
        String os,
        String architecture,
        String description,
        String visibility,
        String boot,
        boolean graphics,
        boolean builtIn,
        boolean deprecated,
        String reference,
        String latestVersion,
        Long sizeBytes,
        String sha256,
        Map<String, String> channels,
        List<String> sharedWith,
        List<VersionView> versions,
        String createdBy,
        Instant createdAt) {

    /**
     * @param channels  channels pointing at this version
     * @param instances live instances created from it (of every tenant)
     * @param reference the exact reference of this version, name@version
     */
    public record VersionView(
            UUID id,
            String version,
            String format,
            long sizeBytes,
            long unpackedBytes,
            String sha256,
            String source,
            boolean deprecated,
            List<String> channels,
            long instances,
            List<InstanceRef> usedBy,
            String reference,
            String createdBy,
            Instant createdAt) {
    }

    /** An instance using a version, shown only to its own tenant and platform admins. */
    public record InstanceRef(UUID id, String name) {
    }
}

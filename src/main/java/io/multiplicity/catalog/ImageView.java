package io.multiplicity.catalog;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * An image as the API shows it.
 *
 * @param tenant      the owning tenant's name; null for the provider's images
 * @param reference   what to put in an instance's {@code image} field for the newest version
 * @param channels    channel → version label
 * @param sharedWith  tenants it is shared with (owners and platform admins only, else null)
 * @param versions    its versions, newest first (on a single image; null in lists)
 */
@Schema(requiredProperties = {"id", "name", "kind", "os", "architecture", "visibility", "graphics", "builtIn",
        "deprecated", "reference", "channels", "createdAt"})
public record ImageView(
        UUID id,
        String name,
        String tenant,
        @Schema(enumeration = {"jail", "vm"}) String kind,
        String os,
        String architecture,
        String description,
        @Schema(enumeration = {"public", "private", "shared"}) String visibility,
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
    @Schema(requiredProperties = {"id", "version", "format", "sizeBytes", "unpackedBytes", "sha256", "deprecated",
            "channels", "instances", "reference", "createdAt"})
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
    @Schema(requiredProperties = {"id", "name"})
    public record InstanceRef(UUID id, String name) {
    }
}

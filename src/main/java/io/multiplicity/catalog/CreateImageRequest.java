package io.multiplicity.catalog;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

/**
 * A new image, without versions yet.
 *
 * @param name         unique among the owner's images; the first part of an image reference
 * @param kind         jail or vm
 * @param os           operating system, e.g. debian, alpine, linux, freebsd
 * @param architecture x86_64 (the default) or aarch64
 * @param visibility   public (platform admins, for the provider's images) or private (the default for a tenant's)
 * @param boot         VM images: kernel (direct kernel boot, the default) or firmware
 * @param graphics     VM images: the guest needs a framebuffer
 * @param tenant       platform admins only: the tenant that owns it
 */
public record CreateImageRequest(
        @NotBlank @Pattern(regexp = "[a-z0-9][a-z0-9._-]{0,62}",
                message = "must be lower-case letters, digits, '.', '_' or '-', at most 63") String name,
        @NotBlank @Pattern(regexp = "jail|vm", message = "must be jail or vm") String kind,
        @NotBlank @Pattern(regexp = "[a-z0-9][a-z0-9._-]{0,62}", message = "must be a short lower-case name such as debian")
        String os,
        @Pattern(regexp = "x86_64|aarch64", message = "must be x86_64 or aarch64") String architecture,
        @Size(max = 1000) String description,
        @Pattern(regexp = "public|private", message = "must be public or private") String visibility,
        @Pattern(regexp = "none|kernel|firmware", message = "must be kernel or firmware") String boot,
        Boolean graphics,
        @Size(max = 63) String tenant) {
}

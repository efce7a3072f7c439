package io.multiplicity.instance;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.List;
import java.util.UUID;

/**
 * What a tenant asks for when creating an instance. Either {@code type} names an instance type, or
 * {@code vcpus}, {@code memoryMiB} and {@code diskGiB} are all given; given sizes override the type's.
 *
 * @param name      DNS label, unique among the tenant's instances; also the hostname inside
 * @param kind      jail or vm; when left out, the instance type's kind, else the only kind of image
 *                  the reference names (a name of both a jail and a VM image answers 400 ambiguous_image)
 * @param image     image reference: name, name/channel or name@version, e.g. busybox or debian/12/stable
 * @param type      instance type, e.g. j1.small
 * @param start     start the instance once it is created
 * @param tenant    platform admins only: the tenant to create the instance for
 * @param sshKeys   ids of the caller's SSH keys for the instance's root (through its metadata service)
 * @param restartPolicy never, on-failure (the default: restarted after a crash, not after a power-off
 *                  from inside) or always
 * @param userData  what the instance's metadata service gives as user-data: a script starting with
 *                  {@code #!} or cloud-config; at most 64 KiB
 * @param placementGroup an anti-affinity group of the tenant (a DNS label): live instances of one
 *                  group are placed on different hosts, and a create that no other host can hold is
 *                  refused (409 anti_affinity_unsatisfiable)
 */
public record CreateInstanceRequest(
        @NotBlank @Size(max = 63) @Pattern(regexp = "[a-z0-9]([a-z0-9-]*[a-z0-9])?",
                message = "must be a DNS label: lower-case letters, digits and '-', not starting or ending with '-'")
        String name,
        @Pattern(regexp = "jail|vm", message = "must be jail or vm") String kind,
        @NotBlank @Size(max = 255) @Pattern(regexp = "[a-z0-9][a-z0-9._/-]*(@[A-Za-z0-9][A-Za-z0-9._+~-]*)?",
                message = "must be an image reference such as busybox, debian/12/stable or debian@12.8") String image,
        @Size(max = 63) String type,
        @Min(1) @Max(InstanceLimits.MAX_VCPUS) Integer vcpus,
        @Min(InstanceLimits.MIN_MEMORY_MIB) @Max(InstanceLimits.MAX_MEMORY_MIB) Integer memoryMiB,
        @Min(1) @Max(InstanceLimits.MAX_DISK_GIB) Integer diskGiB,
        Boolean start,
        @Size(max = 63) String tenant,
        @Size(max = 20) List<@NotNull UUID> sshKeys,
        @Size(max = InstanceLimits.MAX_USER_DATA_BYTES) String userData,
        @Pattern(regexp = "never|on-failure|always", message = "must be never, on-failure or always")
        String restartPolicy,
        @Size(max = 63) @Pattern(regexp = "[a-z0-9]([a-z0-9-]*[a-z0-9])?",
                message = "must be a DNS label: lower-case letters, digits and '-', not starting or ending with '-'")
        String placementGroup) {
}

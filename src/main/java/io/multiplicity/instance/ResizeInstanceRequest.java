package io.multiplicity.instance;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;

/** New sizes of an instance; absent fields keep their value. */
public record ResizeInstanceRequest(
        @Min(1) @Max(InstanceLimits.MAX_VCPUS) Integer vcpus,
        @Min(InstanceLimits.MIN_MEMORY_MIB) @Max(InstanceLimits.MAX_MEMORY_MIB) Integer memoryMiB,
        @Min(1) @Max(InstanceLimits.MAX_DISK_GIB) Integer diskGiB) {
}

package io.multiplicity.instance;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;

/** New sizes or restart policy of an instance; absent fields keep their value. */
public record ResizeInstanceRequest(
        @Min(1) @Max(InstanceLimits.MAX_VCPUS) Integer vcpus,
        @Min(InstanceLimits.MIN_MEMORY_MIB) @Max(InstanceLimits.MAX_MEMORY_MIB) Integer memoryMiB,
        @Min(1) @Max(InstanceLimits.MAX_DISK_GIB) Integer diskGiB,
        @jakarta.validation.constraints.Pattern(regexp = "never|on-failure|always",
                message = "must be never, on-failure or always") String restartPolicy) {
}

package io.multiplicity.catalog;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;

/** @param tenant the name of the tenant to share the image with */
public record ShareRequest(@NotBlank @Size(max = 63) String tenant) {
}

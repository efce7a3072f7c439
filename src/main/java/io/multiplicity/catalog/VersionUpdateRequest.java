package io.multiplicity.catalog;

import jakarta.validation.constraints.NotNull;

/** @param deprecated whether the version is deprecated (still usable, shown as such) */
public record VersionUpdateRequest(@NotNull Boolean deprecated) {
}

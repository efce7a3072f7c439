package io.multiplicity.catalog;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;

/**
 * Points a channel at a version.
 *
 * @param channel e.g. 12 or 12/stable (with the image name debian: debian/12, debian/12/stable)
 * @param version the version label
 */
public record ChannelRequest(
        @NotBlank @Pattern(regexp = "[a-z0-9][a-z0-9._-]{0,62}(/[a-z0-9][a-z0-9._-]{0,62}){0,3}",
                message = "must be lower-case words separated by '/', e.g. 12/stable") String channel,
        @NotBlank @Pattern(regexp = "[A-Za-z0-9][A-Za-z0-9._+~-]{0,63}", message = "must be a version label") String version) {
}

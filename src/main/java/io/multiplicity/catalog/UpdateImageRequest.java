package io.multiplicity.catalog;

import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

/** Changes to an image; absent fields stay. */
public record UpdateImageRequest(
        @Pattern(regexp = "public|private", message = "must be public or private") String visibility,
        Boolean deprecated,
        @Size(max = 1000) String description) {
}

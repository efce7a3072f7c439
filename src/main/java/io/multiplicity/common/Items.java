package io.multiplicity.common;

import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A list that is never long enough to need pages: {@code {"items": [...]}}. */
@Schema(requiredProperties = "items")
public record Items<T>(List<T> items) {
}

package io.multiplicity.common;

import java.util.List;

/** A list that is never long enough to need pages: {@code {"items": [...]}}. */
public record Items<T>(List<T> items) {
}

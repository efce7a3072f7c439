package io.multiplicity.host;

import java.util.UUID;

/** A host's agent answered this replica (the first time, or again after it could not be reached). */
public record HostReachable(UUID hostId) {
}

package io.multiplicity.host.remote;

import java.util.UUID;

/** A host's agent enrolled (or re-enrolled with new credentials); fired in the enrolment's transaction. */
public record HostEnrolled(UUID hostId) {
}

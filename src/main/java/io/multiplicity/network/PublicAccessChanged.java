package io.multiplicity.network;

import java.util.UUID;

/** What the outside may reach on a host changed; fired in the transaction of the change. */
public record PublicAccessChanged(UUID hostId) {
}

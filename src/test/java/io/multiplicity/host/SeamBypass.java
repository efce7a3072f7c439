package io.multiplicity.host;

import io.multiplicity.host.contract.HostDriver;

/** Breaks the seam on purpose, for {@code HostSeamTest}: a class beside HostDrivers that takes the local agent's driver itself. */
public final class SeamBypass {

    private SeamBypass() {
    }

    static HostDriver driverOf(LocalAgent agent) {
        return agent.driver();
    }
}

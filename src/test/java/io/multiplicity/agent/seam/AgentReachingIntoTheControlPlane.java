package io.multiplicity.agent.seam;

import io.multiplicity.instance.Instance;

/** Breaks the seam on purpose, for {@code HostSeamTest}: agent code that reads a control-plane entity. */
public final class AgentReachingIntoTheControlPlane {

    private AgentReachingIntoTheControlPlane() {
    }

    public static String nameOf(Instance instance) {
        return instance.name;
    }
}

package io.multiplicity.host;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.math.BigDecimal;
import java.util.Optional;

/** The host agent that runs inside this process, and the defaults of newly registered hosts. */
@ConfigMapping(prefix = "multiplicity.hosts")
public interface HostsConfig {

    /** Run a host agent in this process (the single-node install) and register its host. */
    @WithDefault("true")
    boolean localAgent();

    /** Name of the local host; the machine's host name when unset. */
    Optional<String> localName();

    /** Overcommit ratio of CPUs for a newly registered host. */
    @WithDefault("4.0")
    BigDecimal cpuRatio();

    /** Overcommit ratio of memory for a newly registered host. */
    @WithDefault("1.0")
    BigDecimal memoryRatio();

    /** Overcommit ratio of disk for a newly registered host. */
    @WithDefault("1.5")
    BigDecimal diskRatio();

    /** Memory kept for the host itself, never allocated to instances. */
    @WithDefault("1024")
    long reservedMemoryMiB();

    /**
     * Share of a host's storage pool kept free, in percent: below it the host takes no new
     * instance and no image import (copy-on-write clones and thin disks grow into the pool later,
     * and a full pool stops every instance on it).
     */
    @WithDefault("5")
    int storageReservePercent();

    /** The least the storage reserve is, whatever the pool's size. */
    @WithDefault("1")
    long storageReserveMinGib();

    /**
     * The hosts' heartbeat: how often the control plane asks each remote host's agent for its facts,
     * and the local agent's driver whether it answers; a host that answers is recorded as seen.
     */
    @WithDefault("5s")
    java.time.Duration heartbeat();

    /** How long an enrolment token a platform admin created stays usable. */
    @WithDefault("1h")
    java.time.Duration enrolmentTokenLifetime();

    /**
     * How new instances are spread over the hosts that can hold them: {@code spread} (the host with
     * the largest share of its allocatable memory free) or {@code pack} (the fullest host that still
     * holds the instance, so whole hosts stay free).
     */
    @WithDefault("spread")
    PlacementPolicy placementPolicy();

    /**
     * A host whose agent has not reported for this long has its instances shown as {@code unknown}
     * (not stopped: they may well still run) until it reports again.
     */
    @WithDefault("20s")
    java.time.Duration unknownAfter();

    /** How often the reconciler compares actual and desired state. */
    @WithDefault("10s")
    java.time.Duration reconcileInterval();
}

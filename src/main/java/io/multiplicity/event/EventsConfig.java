package io.multiplicity.event;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** The event streams (server-sent events). */
@ConfigMapping(prefix = "multiplicity.events")
public interface EventsConfig {

    /**
     * How many streams one user may hold open on this replica; more answer 429. A page that was
     * left holds its slot until the next keep-alive finds it gone, so this leaves room for quick
     * navigation across a few tabs.
     */
    @WithDefault("16")
    int maxStreamsPerUser();

    /**
     * How soon a stream looks again when events after its position wait for an older transaction
     * to end (a transaction that writes no event sends no notification when it ends).
     */
    @WithDefault("200ms")
    Duration heldBackRecheck();

    /**
     * How often a stream sends a keep-alive comment: a client that went away is noticed at the
     * next write, so this also bounds how long its stream holds one of the user's slots.
     */
    @WithDefault("5s")
    Duration keepAlive();

    /** A full read even without a notification, in case one was lost (a reconnect of the listener). */
    @WithDefault("30s")
    Duration safetyRead();
}

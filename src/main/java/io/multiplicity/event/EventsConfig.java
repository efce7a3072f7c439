package io.multiplicity.event;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** The event streams (server-sent events). */
@ConfigMapping(prefix = "multiplicity.events")
public interface EventsConfig {

    /** How many streams one user may hold open on this replica; more answer 429. */
    @WithDefault("8")
    int maxStreamsPerUser();

    /**
     * How soon a stream looks again when events after its position wait for an older transaction
     * to end (a transaction that writes no event sends no notification when it ends).
     */
    @WithDefault("200ms")
    Duration heldBackRecheck();

    /** A full read even without a notification, in case one was lost (a reconnect of the listener). */
    @WithDefault("30s")
    Duration safetyRead();
}

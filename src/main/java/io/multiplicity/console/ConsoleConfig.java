package io.multiplicity.console;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Browser consoles. */
@ConfigMapping(prefix = "multiplicity.console")
public interface ConsoleConfig {

    /** How long a console ticket may wait for its WebSocket. */
    @WithDefault("30s")
    Duration ticketLifetime();

    /** Serial output kept per instance and replayed to every new viewer. */
    @WithDefault("1048576")
    int scrollbackBytes();

    /**
     * Output one viewer may have in flight before it is dropped as too slow (serial), or before the
     * console stops reading for it (graphics). Bounds what a slow browser makes the server hold.
     */
    @WithDefault("1048576")
    int viewerBufferBytes();

    /** A session with neither input nor output for this long is closed. */
    @WithDefault("30m")
    Duration idleTimeout();

    /**
     * How often each replica says the console sessions it serves are alive; a session no replica
     * has spoken for in three heartbeats (its replica crashed) is closed and stops counting
     * against its tenant's quota.
     */
    @WithDefault("60s")
    Duration heartbeat();

    /**
     * How often each replica asks the identity provider whether the users of its open console
     * sessions still have access; a session whose user was disabled, deleted, or lost the role or
     * tenant it was opened with ends at the next check.
     */
    @WithDefault("30s")
    Duration accessCheck();

    /** Record serial sessions as asciicast v2 files, replayable in the portal. */
    @WithDefault("false")
    boolean record();
}

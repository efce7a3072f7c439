package io.multiplicity.operation;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** The durable operation worker. */
@ConfigMapping(prefix = "multiplicity.operations")
public interface OperationsConfig {

    /** How many operations this replica runs at once. */
    @WithDefault("4")
    int concurrency();

    /**
     * How long a claim on a running operation lasts without renewal. A replica that dies stops
     * renewing; after this long another replica (or this one, restarted) takes the operation over.
     */
    @WithDefault("15s")
    Duration lease();

    /** How often the worker looks for runnable operations when nobody woke it. */
    @WithDefault("1s")
    Duration pollInterval();

    /** How often a worker renews the leases of the operations it runs; well under {@link #lease()}. */
    @WithDefault("5s")
    Duration heartbeat();

    /** After this many attempts an operation that keeps losing its worker is failed. */
    @WithDefault("3")
    int maxAttempts();
}

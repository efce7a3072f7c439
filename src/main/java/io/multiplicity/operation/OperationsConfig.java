package io.multiplicity.operation;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** The durable operation worker. */
@ConfigMapping(prefix = "multiplicity.operations")
public interface OperationsConfig {

    /**
     * How many operations this replica runs at once. Each runs on a virtual thread and mostly waits
     * for a host; a database connection is held only inside its short transactions.
     */
    @WithDefault("16")
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

    /**
     * Progress a handler reports within this long of its operation's start is held back and recorded
     * only once the operation has run this long (at the next report or lease renewal): an operation
     * that ends sooner writes its outcome alone, not a row update and an event per step.
     */
    @WithDefault("1s")
    Duration progressDelay();

    /**
     * How old an operation's last reading of its cancel request may be for a handler's check to use
     * it instead of reading it again (the claim reads it first): a cancel is seen at the first check
     * after it was asked for and this long has passed since the last reading.
     */
    @WithDefault("250ms")
    Duration cancelCheckInterval();

    /** After this many attempts an operation that keeps losing its worker is failed. */
    @WithDefault("3")
    int maxAttempts();
}

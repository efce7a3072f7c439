package io.multiplicity.event;

import io.agroal.api.AgroalDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.operators.multi.processors.BroadcastProcessor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.jboss.logging.Logger;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * One LISTEN per replica on the channel the events table notifies at commit (see the migration
 * that adds it): every open stream wakes from it instead of polling the database on its own.
 */
@ApplicationScoped
public class EventNotifications {

    static final String CHANNEL = "multiplicity_events";

    private static final Logger LOG = Logger.getLogger(EventNotifications.class);
    private static final Duration RECONNECT = Duration.ofSeconds(1);

    @Inject
    AgroalDataSource dataSource;

    private final BroadcastProcessor<Long> wakeups = BroadcastProcessor.create();
    private volatile boolean running;
    private volatile long received;
    private Thread listener;

    void start(@Observes StartupEvent startup) {
        running = true;
        listener = Thread.ofPlatform().daemon().name("event-notifications").start(this::listen);
    }

    void stop(@Observes ShutdownEvent shutdown) {
        running = false;
        if (listener != null) {
            listener.interrupt();
        }
    }

    /** Emits whenever a transaction that wrote events committed (and after a reconnect). */
    public Multi<Long> wakeups() {
        return wakeups;
    }

    /** How many notifications this replica received (for tests and metrics). */
    public long received() {
        return received;
    }

    private void listen() {
        while (running) {
            try (Connection connection = dataSource.getConnection()) {
                try (Statement statement = connection.createStatement()) {
                    statement.execute("listen " + CHANNEL);
                }
                PGConnection postgres = connection.unwrap(PGConnection.class);
                wakeups.onNext(received); // whatever committed while nobody listened
                try {
                    while (running) {
                        PGNotification[] notifications = postgres.getNotifications((int) Duration.ofSeconds(2).toMillis());
                        if (notifications != null && notifications.length > 0) {
                            received += notifications.length;
                            wakeups.onNext(received);
                        }
                    }
                } finally {
                    try (Statement statement = connection.createStatement()) {
                        statement.execute("unlisten *");
                    }
                }
            } catch (SQLException | RuntimeException e) {
                if (!running) {
                    return;
                }
                LOG.warnf("event notifications: %s; listening again in %d s", e.getMessage(), RECONNECT.toSeconds());
                try {
                    Thread.sleep(RECONNECT);
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }
}

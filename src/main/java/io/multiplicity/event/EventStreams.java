package io.multiplicity.event;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Open event streams: each reads the events after its position whenever a transaction that wrote
 * events commits ({@link EventNotifications}), and on its own timer only while events after its
 * position wait for an older transaction, or for a rare safety read.
 */
@ApplicationScoped
public class EventStreams {

    /** What made a stream look: a commit somewhere, its own timer, or the keep-alive. */
    private enum Trigger { WAKE, TICK, KEEP_ALIVE }

    /**
     * Sent on a quiet stream now and then: a proxy keeps it open, and a client that went away is
     * noticed at that write, which ends the stream and gives its slot back.
     */
    public static final Event KEEP_ALIVE = new Event();

    private static final int BATCH = 200;

    @Inject
    EventService events;

    @Inject
    EventNotifications notifications;

    @Inject
    StreamLimits limits;

    @Inject
    EventsConfig config;

    /**
     * A stream of {@code tenant}'s events (all tenants when null) for {@code user}, after
     * {@code resume} (a position or an event id; now when null). Counts against the user's streams.
     */
    public Multi<Event> open(UUID tenant, UUID user, String resume) {
        EventCursor start = resume == null || resume.isBlank() ? events.now() : EventCursor.parse(resume);
        if (start.idOnly()) {
            start = events.cursorOf(start.id());
        }
        Runnable release = limits.acquire(user);
        AtomicReference<EventCursor> position = new AtomicReference<>(start);
        AtomicBoolean lookSoon = new AtomicBoolean(true);
        AtomicLong lastRead = new AtomicLong();
        long safetyRead = config.safetyRead().toMillis();
        Multi<Trigger> triggers = Multi.createBy().merging().streams(
                notifications.wakeups().map(count -> Trigger.WAKE),
                Multi.createFrom().ticks().every(config.heldBackRecheck()).map(tick -> Trigger.TICK),
                Multi.createFrom().ticks().every(config.keepAlive()).map(tick -> Trigger.KEEP_ALIVE));
        return Multi.createBy().concatenating().streams(Multi.createFrom().item(Trigger.WAKE), triggers)
                .onOverflow().drop()
                .emitOn(Infrastructure.getDefaultWorkerPool())
                .onItem().transformToIterable(trigger -> {
                    if (trigger == Trigger.KEEP_ALIVE) {
                        return List.of(KEEP_ALIVE);
                    }
                    long now = System.currentTimeMillis();
                    if (trigger == Trigger.TICK && !lookSoon.get() && now - lastRead.get() < safetyRead) {
                        return List.<Event>of();
                    }
                    lastRead.set(now);
                    EventService.Batch batch = events.after(tenant, position.get(), BATCH);
                    List<Event> found = batch.events();
                    if (!found.isEmpty()) {
                        Event last = found.get(found.size() - 1);
                        position.set(new EventCursor(last.transaction, last.id));
                    }
                    lookSoon.set(batch.heldBack() || found.size() == BATCH);
                    return found;
                })
                .onTermination().invoke(release);
    }
}

package io.multiplicity.event;

import io.multiplicity.common.ApiException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/** Counts the event streams each user holds open on this replica, up to a limit. */
@ApplicationScoped
public class StreamLimits {

    @Inject
    EventsConfig config;

    private final Map<UUID, Integer> open = new ConcurrentHashMap<>();

    /** Takes a stream slot for {@code user}, or answers 429; close the permit when the stream ends. */
    public Runnable acquire(UUID user) {
        int limit = config.maxStreamsPerUser();
        AtomicBoolean granted = new AtomicBoolean();
        open.compute(user, (key, count) -> {
            int current = count == null ? 0 : count;
            if (current >= limit) {
                return count;
            }
            granted.set(true);
            return current + 1;
        });
        if (!granted.get()) {
            throw ApiException.tooManyRequests("too_many_streams",
                    "you have " + limit + " event streams open; close one first", 5, Map.of("limit", limit));
        }
        AtomicBoolean released = new AtomicBoolean();
        return () -> {
            if (released.compareAndSet(false, true)) {
                open.computeIfPresent(user, (key, count) -> count <= 1 ? null : count - 1);
            }
        };
    }

    /** How many streams {@code user} holds open. */
    public int openStreams(UUID user) {
        return open.getOrDefault(user, 0);
    }
}

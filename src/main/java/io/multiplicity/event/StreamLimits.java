package io.multiplicity.event;

import io.multiplicity.common.ApiException;
import io.multiplicity.common.KeyedSlots;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.UUID;

/** Counts the event streams each user holds open on this replica, up to a limit. */
@ApplicationScoped
public class StreamLimits {

    @Inject
    EventsConfig config;

    private final KeyedSlots<UUID> open = new KeyedSlots<>();

    /** Takes a stream slot for {@code user}, or answers 429; close the permit when the stream ends. */
    public Runnable acquire(UUID user) {
        int limit = config.maxStreamsPerUser();
        Runnable release = open.tryTake(user, limit);
        if (release == null) {
            throw ApiException.tooManyRequests("too_many_streams",
                    "you have " + limit + " event streams open; close one first", 5, Map.of("limit", limit));
        }
        return release;
    }

    /** How many streams {@code user} holds open. */
    public int openStreams(UUID user) {
        return open.held(user);
    }
}

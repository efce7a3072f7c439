package io.multiplicity.event;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.multiplicity.common.ApiException;
import io.multiplicity.identity.Caller;
import io.multiplicity.identity.Roles;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The tenant's event stream (server-sent events). Each event carries its id; a client that
 * reconnects with {@code Last-Event-ID} (browsers do so by themselves) continues after it.
 */
@Path("/api/v1/events")
@Tag(name = "events")
public class EventResource {

    private static final Duration POLL = Duration.ofMillis(500);

    @Inject
    EventService events;

    @Inject
    Caller caller;

    @Inject
    ObjectMapper json;

    @GET
    @io.smallrye.common.annotation.Blocking
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER})
    @Operation(summary = "Stream the tenant's events",
            description = "Server-sent events; resume with Last-Event-ID or ?after=<id>. Platform admins see all tenants.")
    public Multi<OutboundSseEvent> stream(@Context Sse sse, @HeaderParam("Last-Event-ID") String lastEventId,
                                          @QueryParam("after") Long after) {
        UUID tenant = caller.tenantScope();
        long start;
        if (after != null) {
            start = after;
        } else if (lastEventId != null) {
            try {
                start = Long.parseLong(lastEventId.trim());
            } catch (NumberFormatException e) {
                throw ApiException.badRequest("validation_failed", "Last-Event-ID must be an event id", null);
            }
        } else {
            start = events.latestId();
        }
        AtomicLong position = new AtomicLong(start);
        return Multi.createFrom().ticks().every(POLL)
                .emitOn(Infrastructure.getDefaultWorkerPool())
                .onItem().transformToIterable(tick -> {
                    List<Event> batch = events.after(tenant, position.get(), 200);
                    if (!batch.isEmpty()) {
                        position.set(batch.get(batch.size() - 1).id);
                    }
                    return batch.stream().map(event -> toSse(sse, event)).toList();
                });
    }

    private OutboundSseEvent toSse(Sse sse, Event event) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", event.id);
        body.put("type", event.type);
        body.put("targetType", event.targetType);
        body.put("target", event.targetId);
        body.put("payload", event.payload);
        body.put("at", event.createdAt == null ? Instant.now() : event.createdAt);
        String data;
        try {
            data = json.writeValueAsString(body);
        } catch (Exception e) {
            data = "{}";
        }
        return sse.newEventBuilder()
                .id(String.valueOf(event.id))
                .name(event.type)
                .mediaType(MediaType.APPLICATION_JSON_TYPE)
                .data(data)
                .build();
    }
}

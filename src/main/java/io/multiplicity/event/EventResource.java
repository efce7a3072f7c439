package io.multiplicity.event;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.multiplicity.identity.Caller;
import io.multiplicity.identity.Roles;
import io.smallrye.mutiny.Multi;
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
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The tenant's event stream (server-sent events), in commit order (see {@link EventService}).
 * Each event's SSE id is its position; a client that reconnects with {@code Last-Event-ID}
 * (browsers do so by themselves) continues right after it. Streams wake when a transaction that
 * wrote events commits ({@link EventNotifications}), not on a poll of their own.
 */
@Path("/api/v1/events")
@Tag(name = "events")
public class EventResource {

    @Inject
    EventStreams streams;

    @Inject
    Caller caller;

    @Inject
    ObjectMapper json;

    @GET
    @io.smallrye.common.annotation.Blocking
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER})
    @Operation(operationId = "streamEvents", summary = "Stream the tenant's events",
            description = "Server-sent events in commit order; each event's SSE id is its position. Resume with "
                    + "Last-Event-ID or ?after=<position or event id>. Platform admins see all tenants. "
                    + "A user holds at most a few streams open at once (429 with Retry-After beyond).")
    @APIResponse(responseCode = "200", description = "A text/event-stream: per event an 'event:' line (its type),"
            + " an 'id:' line (its position) and a 'data:' line holding one EventMessage as JSON; keep-alive comments"
            + " in between",
            content = @Content(mediaType = MediaType.SERVER_SENT_EVENTS,
                    schema = @Schema(implementation = EventMessage.class)))
    @APIResponse(responseCode = "429", description = "Too many streams open; retry after Retry-After seconds")
    public Multi<OutboundSseEvent> stream(@Context Sse sse, @HeaderParam("Last-Event-ID") String lastEventId,
                                          @QueryParam("after") String after) {
        return streams.open(caller.tenantScope(), caller.get().userId(), after != null ? after : lastEventId)
                .map(event -> toSse(sse, event));
    }

    private OutboundSseEvent toSse(Sse sse, Event event) {
        if (event == EventStreams.KEEP_ALIVE) {
            return sse.newEventBuilder().comment("keep-alive").build();
        }
        String data;
        try {
            data = json.writeValueAsString(EventMessage.of(event));
        } catch (Exception e) {
            data = "{}";
        }
        return sse.newEventBuilder()
                .id(new EventCursor(event.transaction, event.id).text())
                .name(event.type)
                .mediaType(MediaType.APPLICATION_JSON_TYPE)
                .data(data)
                .build();
    }
}

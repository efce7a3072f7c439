package io.multiplicity.event;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * The data of one server-sent event on {@code /api/v1/events}: one JSON object per event. The SSE
 * frame around it names the event's type ({@code event:}) and its position ({@code id:}, for
 * {@code Last-Event-ID}); keep-alives are SSE comments and carry no data.
 *
 * @param id         the event's number
 * @param type       what happened, e.g. {@code instance.created}, {@code operation.succeeded}
 * @param targetType the kind of resource it happened to ({@code instance}, {@code operation}, …)
 * @param target     that resource's id
 * @param payload    what the event type carries (state, progress, error, …); null when nothing
 * @param at         when it was recorded
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@Schema(description = "The data line of one server-sent event; the SSE event name is its type and the SSE id its"
        + " position, to resume from with Last-Event-ID or ?after=", requiredProperties = {"id", "type", "at"})
public record EventMessage(Long id, String type, String targetType, UUID target,
                           @Schema(nullable = true) Map<String, Object> payload, Instant at) {

    static EventMessage of(Event event) {
        return new EventMessage(event.id, event.type, event.targetType, event.targetId, event.payload,
                event.createdAt == null ? Instant.now() : event.createdAt);
    }
}

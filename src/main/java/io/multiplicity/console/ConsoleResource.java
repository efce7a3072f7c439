package io.multiplicity.console;

import io.multiplicity.common.ApiException;
import io.multiplicity.common.Cursors;
import io.multiplicity.common.Page;
import io.multiplicity.identity.Caller;
import io.multiplicity.identity.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.nio.file.Files;
import java.time.Instant;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/console-sessions")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "consoles")
public class ConsoleResource {

    @Schema(requiredProperties = {"id", "type", "startedAt"})
    public record SessionView(UUID id, UUID tenant, UUID instance, String user,
                              @Schema(enumeration = {"serial", "vnc"}) String type, boolean readOnly,
                              String clientAddress, Instant startedAt, Instant endedAt, Long seconds, long bytesIn,
                              long bytesOut, String closeReason, boolean recorded) {

        static SessionView of(ConsoleSession session) {
            Long seconds = session.endedAt == null ? null
                    : java.time.Duration.between(session.startedAt, session.endedAt).toSeconds();
            return new SessionView(session.id, session.tenantId, session.instanceId, session.username, session.type,
                    session.readOnly, session.clientAddress, session.startedAt, session.endedAt, seconds,
                    session.bytesIn, session.bytesOut, session.closeReason, session.recording != null);
        }
    }

    @Inject
    ConsoleTickets tickets;

    @Inject
    Caller caller;

    @Inject
    EntityManager em;

    @GET
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN})
    @Operation(operationId = "listConsoleSessions",
            summary = "Console sessions: who, from where, when, how long, bytes each way, how they ended")
    public Page<SessionView> sessions(@QueryParam("instance") UUID instance, @QueryParam("limit") Integer limit,
                                      @QueryParam("cursor") String cursor) {
        int size = Cursors.limit(limit);
        Cursors.Position after = Cursors.decode(cursor);
        UUID scope = caller.tenantScope();
        StringBuilder query = new StringBuilder("from ConsoleSession s where 1 = 1");
        if (scope != null) {
            query.append(" and s.tenantId = :tenant");
        }
        if (instance != null) {
            query.append(" and s.instanceId = :instance");
        }
        if (after != null) {
            query.append(" and (s.startedAt < :at or (s.startedAt = :at and s.id < :id))");
        }
        query.append(" order by s.startedAt desc, s.id desc");
        var typed = em.createQuery(query.toString(), ConsoleSession.class).setMaxResults(size + 1);
        if (scope != null) {
            typed.setParameter("tenant", scope);
        }
        if (instance != null) {
            typed.setParameter("instance", instance);
        }
        if (after != null) {
            typed.setParameter("at", after.createdAt());
            typed.setParameter("id", after.id());
        }
        Page<ConsoleSession> page = Page.of(typed.getResultList(), size, session -> session.startedAt,
                session -> session.id);
        return new Page<>(page.items().stream().map(SessionView::of).toList(), page.next());
    }

    @GET
    @Path("/{id}/recording")
    @Produces("application/x-asciicast")
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN})
    @Operation(operationId = "getConsoleRecording",
            summary = "The asciicast v2 recording of a serial session, when it was recorded")
    @APIResponse(responseCode = "200", description = "The session's recording, an asciicast v2 file",
            content = @Content(mediaType = "application/x-asciicast", schema = @Schema(type = SchemaType.STRING)))
    public Response recording(@PathParam("id") UUID id) {
        UUID scope = caller.tenantScope();
        ConsoleSession session = em.find(ConsoleSession.class, id);
        if (session == null || (scope != null && !scope.equals(session.tenantId))) {
            throw ApiException.notFound("console session", id);
        }
        if (session.recording == null || !Files.exists(java.nio.file.Path.of(session.recording))) {
            throw ApiException.notFound("recording of console session", id);
        }
        return Response.ok(java.nio.file.Path.of(session.recording).toFile())
                .type("application/x-asciicast")
                .header("Content-Disposition", "attachment; filename=\"" + id + ".cast\"")
                .build();
    }
}

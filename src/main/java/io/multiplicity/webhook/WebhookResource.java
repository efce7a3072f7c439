package io.multiplicity.webhook;

import io.multiplicity.common.ApiError;
import io.multiplicity.common.Page;
import io.multiplicity.idempotency.IdempotentRequests;
import io.multiplicity.identity.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * A tenant's webhooks: HTTPS endpoints that receive its events, signed (see
 * {@link WebhookSignatures}), retried with backoff, each delivery listed with its result.
 */
@Path("/api/v1/webhooks")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(Roles.TENANT_ADMIN)
@Tag(name = "webhooks")
public class WebhookResource {

    /**
     * @param name   a DNS label, unique among the tenant's webhooks
     * @param url    an https:// URL
     * @param events event types: a type (instance.created), a prefix (operation.*) or *
     */
    public record CreateWebhookRequest(
            @NotBlank @Size(max = 63) @Pattern(regexp = "[a-z0-9]([a-z0-9-]*[a-z0-9])?",
                    message = "must be a DNS label: lower-case letters, digits and '-'") String name,
            @NotBlank @Size(max = 2000) String url,
            @NotNull @Size(min = 1, max = WebhookService.MAX_PATTERNS) List<String> events) {
    }

    /** Absent fields keep their value; {@code enabled: true} turns a disabled webhook on again. */
    public record UpdateWebhookRequest(@Size(max = 2000) String url,
                                       @Size(min = 1, max = WebhookService.MAX_PATTERNS) List<String> events,
                                       Boolean enabled) {
    }

    /** One page of webhooks. */
    @Schema(requiredProperties = "items")
    public record WebhookPage(List<WebhookService.WebhookView> items, String next) {
    }

    /** One page of deliveries, newest first. */
    @Schema(requiredProperties = "items")
    public record DeliveryPage(List<WebhookService.DeliveryView> items, String next) {
    }

    @Inject
    WebhookService service;

    @Inject
    IdempotentRequests idempotent;

    @GET
    @Operation(operationId = "listWebhooks", summary = "List the tenant's webhooks")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = WebhookPage.class)))
    @APIResponse(responseCode = "403", description = "Not a tenant admin",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    public Page<WebhookService.WebhookView> list(@QueryParam("limit") Integer limit, @QueryParam("cursor") String cursor) {
        return service.list(limit, cursor);
    }

    @GET
    @Path("/{id}")
    @Operation(operationId = "getWebhook", summary = "Get one webhook")
    @APIResponse(responseCode = "200",
            content = @Content(schema = @Schema(implementation = WebhookService.WebhookView.class)))
    @APIResponse(responseCode = "404", content = @Content(schema = @Schema(implementation = ApiError.class)))
    public WebhookService.WebhookView get(@PathParam("id") UUID id) {
        return service.get(id);
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(operationId = "createWebhook", summary = "Register a webhook",
            description = "Answers 201 with the signing secret in `secret`, shown this once. Honours Idempotency-Key"
                    + " (a replay names the same webhook, without its secret).")
    @APIResponse(responseCode = "201",
            content = @Content(schema = @Schema(implementation = WebhookService.CreatedWebhook.class)))
    @APIResponse(responseCode = "400", description = "Not an https URL, or an event type that is none",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "409", description = "Name taken, or too many webhooks",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    public Response create(@Valid @NotNull CreateWebhookRequest request,
                           @HeaderParam(IdempotentRequests.HEADER) String idempotencyKey) {
        return idempotent.run(idempotencyKey, "POST /api/v1/webhooks", request, () -> {
            WebhookService.CreatedWebhook created = service.create(request.name(), request.url(), request.events());
            return Response.created(URI.create("/api/v1/webhooks/" + created.webhook().id())).entity(created).build();
        }, body -> new WebhookService.CreatedWebhook(((WebhookService.CreatedWebhook) body).webhook(), null));
    }

    @PATCH
    @Path("/{id}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(operationId = "updateWebhook", summary = "Change a webhook's URL or events, or enable it again")
    @APIResponse(responseCode = "200",
            content = @Content(schema = @Schema(implementation = WebhookService.WebhookView.class)))
    @APIResponse(responseCode = "400", content = @Content(schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "404", content = @Content(schema = @Schema(implementation = ApiError.class)))
    public WebhookService.WebhookView update(@PathParam("id") UUID id, @Valid @NotNull UpdateWebhookRequest request) {
        return service.update(id, request.url(), request.events(), request.enabled());
    }

    @DELETE
    @Path("/{id}")
    @Operation(operationId = "deleteWebhook", summary = "Delete a webhook", description = "Its pending deliveries are not sent.")
    @APIResponse(responseCode = "200",
            content = @Content(schema = @Schema(implementation = WebhookService.WebhookView.class)))
    @APIResponse(responseCode = "404", content = @Content(schema = @Schema(implementation = ApiError.class)))
    public WebhookService.WebhookView delete(@PathParam("id") UUID id) {
        return service.delete(id);
    }

    @GET
    @Path("/{id}/deliveries")
    @Operation(operationId = "listWebhookDeliveries", summary = "List a webhook's deliveries with their results",
            description = "Newest first: state (pending, succeeded, failed), attempts, the last HTTP status or error,"
                    + " and when a pending one is tried next.")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = DeliveryPage.class)))
    @APIResponse(responseCode = "404", content = @Content(schema = @Schema(implementation = ApiError.class)))
    public Page<WebhookService.DeliveryView> deliveries(@PathParam("id") UUID id, @QueryParam("limit") Integer limit,
                                                        @QueryParam("cursor") String cursor) {
        return service.deliveries(id, limit, cursor);
    }
}

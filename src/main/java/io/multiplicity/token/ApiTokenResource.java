package io.multiplicity.token;

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
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.time.Instant;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * API tokens for scripts: a tenant admin's for their tenant, a platform admin's for the platform.
 * Sent as {@code Authorization: Bearer mpt_…}.
 */
@Path("/api/v1/tokens")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN})
@Tag(name = "tokens")
public class ApiTokenResource {

    /**
     * @param name      a DNS label, unique among the tenant's live tokens
     * @param role      tenant-admin, tenant-member or tenant-viewer for a tenant's token;
     *                  platform-admin for the platform's
     * @param expiresAt when it stops working; default in 30 days, at most in 365
     */
    public record CreateApiTokenRequest(
            @NotBlank @Size(max = 63) @Pattern(regexp = "[a-z0-9]([a-z0-9-]*[a-z0-9])?",
                    message = "must be a DNS label: lower-case letters, digits and '-'") String name,
            @NotBlank @Schema(enumeration = {Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER,
                    Roles.TENANT_VIEWER}) String role,
            Instant expiresAt) {
    }

    /** One page of tokens. */
    @Schema(requiredProperties = "items")
    public record ApiTokenPage(java.util.List<ApiTokenService.ApiTokenView> items, String next) {
    }

    @Inject
    ApiTokenService service;

    @Inject
    IdempotentRequests idempotent;

    @GET
    @Operation(operationId = "listTokens", summary = "List the tenant's API tokens",
            description = "A platform admin lists every tenant's and the platform's tokens. Newest first; never a secret.")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = ApiTokenPage.class)))
    @APIResponse(responseCode = "400", description = "A bad limit or cursor",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "403", description = "Not a tenant or platform admin, or called with a token",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    public Page<ApiTokenService.ApiTokenView> list(@QueryParam("limit") Integer limit, @QueryParam("cursor") String cursor) {
        return service.list(limit, cursor);
    }

    @GET
    @Path("/{id}")
    @Operation(operationId = "getToken", summary = "Get one API token")
    @APIResponse(responseCode = "200",
            content = @Content(schema = @Schema(implementation = ApiTokenService.ApiTokenView.class)))
    @APIResponse(responseCode = "404", description = "No such token in your tenant",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    public ApiTokenService.ApiTokenView get(@PathParam("id") UUID id) {
        return service.get(id);
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(operationId = "createToken", summary = "Create an API token",
            description = "Answers 201 with the token's whole text in `secret`, shown this once; only its SHA-256 is"
                    + " kept. The role is never above the creator's. Honours Idempotency-Key (a replay names the same"
                    + " token, without its secret).")
    @APIResponse(responseCode = "201",
            content = @Content(schema = @Schema(implementation = ApiTokenService.CreatedApiToken.class)))
    @APIResponse(responseCode = "400", description = "Bad name, role or expiry",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "403", description = "A role above yours, or called with a token",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "409", description = "Name taken, or too many live tokens",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    public Response create(@Valid @NotNull CreateApiTokenRequest request,
                           @HeaderParam(IdempotentRequests.HEADER) String idempotencyKey) {
        // a replay names the same token but never shows its secret again: only its hash is kept
        return idempotent.run(idempotencyKey, "POST /api/v1/tokens", request, () -> {
            ApiTokenService.CreatedApiToken created = service.create(request.name(), request.role(), request.expiresAt());
            return Response.created(URI.create("/api/v1/tokens/" + created.token().id())).entity(created).build();
        }, body -> new ApiTokenService.CreatedApiToken(((ApiTokenService.CreatedApiToken) body).token(), null));
    }

    @DELETE
    @Path("/{id}")
    @Operation(operationId = "revokeToken", summary = "Revoke an API token",
            description = "The next request that presents it answers 401. Revoking twice changes nothing.")
    @APIResponse(responseCode = "200",
            content = @Content(schema = @Schema(implementation = ApiTokenService.ApiTokenView.class)))
    @APIResponse(responseCode = "404", description = "No such token in your tenant",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    public ApiTokenService.ApiTokenView revoke(@PathParam("id") UUID id) {
        return service.revoke(id);
    }
}

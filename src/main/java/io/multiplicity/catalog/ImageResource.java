package io.multiplicity.catalog;

import io.multiplicity.common.Items;
import io.multiplicity.common.openapi.ApiContract;
import io.multiplicity.idempotency.IdempotentRequests;
import io.multiplicity.common.ApiException;
import io.multiplicity.common.Page;
import io.multiplicity.idempotency.IdempotentRequests;
import io.multiplicity.identity.Roles;
import io.multiplicity.operation.Accepted;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
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
import java.io.InputStream;
import java.net.URI;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.logging.Logger;

@Path("/api/v1/images")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "images")
public class ImageResource {

    private static final Logger LOG = Logger.getLogger(ImageResource.class);

    @Inject
    ImageCatalog catalog;

    @Inject
    ImageImports imports;

    @Inject
    ImageCopies copies;

    @GET
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER})
    @Operation(operationId = "listImages", summary = "List the images you can use",
            description = "The provider's public images, your tenant's own and those shared with it; filters by kind, "
                    + "os, channel, visibility and name.")
    public Page<ImageView> list(@QueryParam("kind") String kind, @QueryParam("os") String os,
                                @QueryParam("channel") String channel, @QueryParam("visibility") String visibility,
                                @QueryParam("name") String name, @QueryParam("limit") Integer limit,
                                @QueryParam("cursor") String cursor) {
        Page<Image> page = catalog.list(kind, os, channel, visibility, name, limit, cursor);
        return new Page<>(page.items().stream().map(image -> catalog.view(image, false)).toList(), page.next());
    }

    @GET
    @Path("/{id}")
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER})
    @Operation(operationId = "getImage",
            summary = "Get one image with its versions, channels and the instances using each version")
    public ImageView get(@PathParam("id") UUID id) {
        return catalog.view(catalog.get(id), true);
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(operationId = "createImage",
            summary = "Create an image", description = "A tenant's images are private until shared; platform "
            + "admins create the provider's images, public by default. Versions are uploaded next. Honours Idempotency-Key.")
    @APIResponse(responseCode = "201", description = "Created",
            content = @Content(schema = @Schema(implementation = ImageView.class)),
            headers = @Header(name = ApiContract.LOCATION, description = "Where the created resource is read"))
    @APIResponse(responseCode = "422", description = "The Idempotency-Key was used for another request")
    public Response create(@Valid @NotNull CreateImageRequest request,
                           @jakarta.ws.rs.HeaderParam(IdempotentRequests.HEADER) String idempotencyKey) {
        return idempotent.run(idempotencyKey, "POST /api/v1/images", request, () -> {
            Image image = catalog.create(request);
            return Response.created(URI.create("/api/v1/images/" + image.id)).entity(catalog.view(image, true)).build();
        });
    }

    @Inject
    IdempotentRequests idempotent;

    @PATCH
    @Path("/{id}")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(operationId = "updateImage",
            summary = "Change an image's description, deprecation or (platform admins) publish it")
    public ImageView update(@PathParam("id") UUID id, @Valid @NotNull UpdateImageRequest request) {
        return catalog.view(catalog.update(id, request), true);
    }

    @DELETE
    @Path("/{id}")
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(operationId = "deleteImage",
            summary = "Delete an image", description = "Refused (409) while instances created from it exist.")
    @APIResponse(responseCode = "204", description = "Done; no body")
    public Response delete(@PathParam("id") UUID id) {
        Image image = catalog.get(id);
        List<ImageVersion> versions = catalog.retire(id);
        for (ImageVersion version : versions) {
            destroyOnHosts(image, version);
        }
        return Response.noContent().build();
    }

    @POST
    @Path("/{id}/versions")
    @Consumes({MediaType.APPLICATION_OCTET_STREAM, "application/gzip", "application/x-xz", "application/zstd",
            "application/x-tar"})
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(operationId = "uploadImageVersion", summary = "Upload a new version",
            description = "The body is the image itself, streamed: a root file system tarball (tar, gzip, xz or zstd) "
                    + "for jails; a raw or qcow2 disk, or a tarball of kernel and initrd, for VMs. It is checked "
                    + "against sha256 and size when given, and refused with nothing left behind when unsafe.")
    @APIResponse(responseCode = "201", description = "The image with its new version",
            content = @Content(schema = @Schema(implementation = ImageView.class)),
            headers = @Header(name = ApiContract.LOCATION, description = "Where the created resource is read"))
    @APIResponse(responseCode = "429", description = "Too many imports running; retry after Retry-After seconds")
    public Response upload(@PathParam("id") UUID id, @QueryParam("version") String version,
                           @QueryParam("format") String format, @QueryParam("sha256") String sha256,
                           @QueryParam("size") Long size, @QueryParam("channels") String channels,
                           @QueryParam("cmdline") String cmdline, @HeaderParam("Content-Length") Long contentLength,
                           InputStream body) {
        if (size != null && size < 0) {
            throw ApiException.badRequest("validation_failed", "size must not be negative", Map.of("field", "size"));
        }
        ImageImports.NewVersion request = new ImageImports.NewVersion(version, format,
                sha256 == null ? null : sha256.toLowerCase(), size, split(channels), cmdline);
        imports.upload(id, request, body, contentLength);
        return Response.created(URI.create("/api/v1/images/" + id)).entity(catalog.view(catalog.get(id), true)).build();
    }

    @POST
    @Path("/{id}/versions/import")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(operationId = "importImageVersion",
            summary = "Import a new version from a URL on the admin's allow-list, as an operation",
            description = "Answers 202 with an operation that downloads (its progress counts bytesFetched of"
                    + " bytesTotal, the Content-Length), checks against sha256 and the size limit, then imports as"
                    + " an upload is; cancel it with POST /operations/{id}/cancel.")
    @APIResponse(responseCode = "202", ref = ApiContract.ACCEPTED)
    @APIResponse(responseCode = "429", description = "Too many imports running; retry after Retry-After seconds")
    public Response importUrl(@PathParam("id") UUID id, @Valid @NotNull ImportUrlRequest request) {
        return Accepted.of(imports.submitUrlImport(id, request));
    }

    @PATCH
    @Path("/{id}/versions/{version}")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(operationId = "updateImageVersion", summary = "Deprecate a version, or undo it")
    public ImageView updateVersion(@PathParam("id") UUID id, @PathParam("version") String version,
                                   @Valid @NotNull VersionUpdateRequest request) {
        catalog.deprecateVersion(id, version, request.deprecated());
        return catalog.view(catalog.get(id), true);
    }

    @DELETE
    @Path("/{id}/versions/{version}")
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(operationId = "deleteImageVersion", summary = "Delete a version",
            description = "Refused (409) while instances created from it exist or a channel other than latest names it.")
    @APIResponse(responseCode = "204", description = "Done; no body")
    public Response deleteVersion(@PathParam("id") UUID id, @PathParam("version") String version) {
        Image image = catalog.get(id);
        ImageVersion retired = catalog.retireVersion(id, version);
        destroyOnHosts(image, retired);
        return Response.noContent().build();
    }

    @POST
    @Path("/{id}/channels")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(operationId = "setImageChannel", summary = "Point a channel at a version",
            description = "New instances created from name/channel get that version; existing instances keep theirs.")
    public ImageView setChannel(@PathParam("id") UUID id, @Valid @NotNull ChannelRequest request) {
        return catalog.view(catalog.setChannel(id, request.channel(), request.version()), true);
    }

    @DELETE
    @Path("/{id}/channels")
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(operationId = "deleteImageChannel", summary = "Remove a channel")
    @APIResponse(responseCode = "204", description = "Done; no body")
    public Response deleteChannel(@PathParam("id") UUID id, @QueryParam("channel") String channel) {
        if (channel == null || channel.isBlank()) {
            throw ApiException.badRequest("validation_failed", "name the channel: ?channel=", Map.of("field", "channel"));
        }
        catalog.deleteChannel(id, channel);
        return Response.noContent().build();
    }

    @POST
    @Path("/{id}/shares")
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(operationId = "shareImage", summary = "Offer the image to a tenant",
            description = "Once that tenant's admin accepts, it sees the image and creates instances from it. The"
                    + " answer is the same whether or not the tenant exists; sharedWith lists accepted shares only.")
    public ImageView share(@PathParam("id") UUID id, @Valid @NotNull ShareRequest request) {
        return catalog.view(catalog.share(id, request.tenant()), true);
    }

    @GET
    @Path("/offers")
    @RolesAllowed({Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER})
    @Operation(operationId = "listImageOffers", summary = "Images other tenants offer to yours, not yet accepted")
    public Items<ImageCatalog.Offer> offers() {
        return new Items<>(catalog.offers());
    }

    @POST
    @Path("/{id}/accept")
    @RolesAllowed(Roles.TENANT_ADMIN)
    @Operation(operationId = "acceptImageOffer",
            summary = "Accept an image offered to your tenant", description = "It enters your tenant's catalog.")
    public ImageView accept(@PathParam("id") UUID id) {
        return catalog.view(catalog.accept(id), false);
    }

    @DELETE
    @Path("/{id}/offer")
    @RolesAllowed(Roles.TENANT_ADMIN)
    @Operation(operationId = "declineImageOffer", summary = "Decline an image offered to your tenant")
    @APIResponse(responseCode = "204", description = "Done; no body")
    public Response decline(@PathParam("id") UUID id) {
        catalog.decline(id);
        return Response.noContent().build();
    }

    @DELETE
    @Path("/{id}/shares/{tenant}")
    @RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER})
    @Operation(operationId = "unshareImage", summary = "Stop sharing the image with a tenant",
            description = "Its existing instances keep running; it can create no new ones.")
    public ImageView unshare(@PathParam("id") UUID id, @PathParam("tenant") String tenant) {
        return catalog.view(catalog.unshare(id, tenant), true);
    }

    /** Destroys a version the catalog deleted on every host that holds it (see {@link ImageCopies}). */
    private void destroyOnHosts(Image image, ImageVersion version) {
        try {
            copies.destroyDeleted(version.id);
        } catch (RuntimeException e) {
            // The catalog forgot the version; the hosts recorded as holding it are tried again later.
            LOG.errorf(e, "could not destroy version %s of image %s on the hosts", version.version, image.name);
        }
    }

    private static List<String> split(String channels) {
        if (channels == null || channels.isBlank()) {
            return List.of();
        }
        return Arrays.stream(channels.split(",")).map(String::strip).filter(channel -> !channel.isEmpty()).toList();
    }
}

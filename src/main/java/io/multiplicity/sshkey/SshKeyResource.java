package io.multiplicity.sshkey;

import io.multiplicity.common.Items;
import io.multiplicity.common.openapi.ApiContract;
import io.multiplicity.identity.Roles;
import io.multiplicity.operation.Accepted;
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
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The caller's own SSH public keys. */
@Path("/api/v1/ssh-keys")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed({Roles.PLATFORM_ADMIN, Roles.TENANT_ADMIN, Roles.TENANT_MEMBER, Roles.TENANT_VIEWER})
@Tag(name = "ssh-keys")
public class SshKeyResource {

    /**
     * @param name      a DNS label, unique among the user's keys
     * @param publicKey one OpenSSH public key: {@code type base64 [comment]}
     */
    public record AddSshKeyRequest(
            @NotBlank @Size(max = 63) @Pattern(regexp = "[a-z0-9]([a-z0-9-]*[a-z0-9])?",
                    message = "must be a DNS label: lower-case letters, digits and '-'") String name,
            @NotBlank @Size(max = SshPublicKey.MAX_LENGTH) String publicKey) {
    }

    @Inject
    SshKeyService service;

    @GET
    @Operation(operationId = "listSshKeys",
            summary = "List your SSH public keys", description = "With each key's type, size and SHA256 fingerprint.")
    public Items<SshKeyService.SshKeyView> list() {
        return new Items<>(service.list());
    }

    @GET
    @Path("/{id}")
    @Operation(operationId = "getSshKey", summary = "Get one of your SSH public keys")
    public SshKeyService.SshKeyView get(@PathParam("id") UUID id) {
        return service.get(id);
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(operationId = "addSshKey",
            summary = "Add an SSH public key", description = "Checked as ssh-keygen reads it (ed25519, ECDSA, RSA of"
            + " 2048 bits or more, security-key types); 409 for a name or key you have already.")
    @APIResponse(responseCode = "202", ref = ApiContract.ACCEPTED)
    public Response add(@Valid @NotNull AddSshKeyRequest request) {
        return Accepted.of(service.add(request.name(), request.publicKey()));
    }

    @DELETE
    @Path("/{id}")
    @Operation(operationId = "removeSshKey",
            summary = "Remove an SSH public key", description = "Instances created with it keep it.")
    @APIResponse(responseCode = "202", ref = ApiContract.ACCEPTED)
    public Response remove(@PathParam("id") UUID id) {
        return Accepted.of(service.remove(id));
    }
}

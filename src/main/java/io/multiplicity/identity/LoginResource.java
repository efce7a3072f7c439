package io.multiplicity.identity;

import io.multiplicity.common.openapi.ApiContract;
import io.quarkus.security.Authenticated;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Where the portal signs users in: the authorization code flow with the panel's confidential
 * client (the "web" OIDC tenant serves this path). Once signed in, the user goes to the portal.
 */
@Path("/login")
@Tag(name = "identity")
public class LoginResource {

    @GET
    @Authenticated
    @Operation(operationId = "signIn", summary = "Sign in through the identity provider and go to the portal")
    @APIResponse(responseCode = "303", description = "Signed in: on to the portal",
            headers = @Header(name = ApiContract.LOCATION, description = "The portal, /"))
    public Response login() {
        return Response.seeOther(URI.create("/")).build();
    }
}

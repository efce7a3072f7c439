package io.multiplicity.identity;

import io.quarkus.security.Authenticated;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import org.eclipse.microprofile.openapi.annotations.Operation;
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
    @Operation(summary = "Sign in through the identity provider and go to the portal")
    public Response login() {
        return Response.seeOther(URI.create("/")).build();
    }
}

package io.multiplicity.token;

import io.multiplicity.common.ClientAddresses;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.quarkus.vertx.http.runtime.security.HttpSecurityUtils;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** Turns a presented API token into the identity it stands for: its principal and its one role. */
@ApplicationScoped
public class ApiTokenIdentityProvider implements IdentityProvider<ApiTokenAuthenticationRequest> {

    @Inject
    ApiTokenService tokens;

    @Override
    public Class<ApiTokenAuthenticationRequest> getRequestType() {
        return ApiTokenAuthenticationRequest.class;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(ApiTokenAuthenticationRequest request, AuthenticationRequestContext context) {
        RoutingContext routing = HttpSecurityUtils.getRoutingContextAttribute(request);
        String address = routing != null && routing.request().remoteAddress() != null
                ? ClientAddresses.normalize(routing.request().remoteAddress().hostAddress())
                : null;
        String method = routing != null ? routing.request().method().name() : null;
        String path = routing != null ? routing.normalizedPath() : null;
        return context.runBlocking(() -> {
            ApiTokenService.Verified verified = tokens.verify(request.token(), address, method, path);
            if (verified == null) {
                throw new AuthenticationFailedException("the API token is unknown, expired or revoked");
            }
            return QuarkusSecurityIdentity.builder()
                    .setPrincipal(verified.principal())
                    .addRole(verified.role())
                    .build();
        });
    }
}

package io.multiplicity.token;

import io.quarkus.security.identity.request.BaseAuthenticationRequest;

/** A request that presents a panel-issued API token as its bearer token. */
public class ApiTokenAuthenticationRequest extends BaseAuthenticationRequest {

    private final String token;

    public ApiTokenAuthenticationRequest(String token) {
        this.token = token;
    }

    public String token() {
        return token;
    }
}

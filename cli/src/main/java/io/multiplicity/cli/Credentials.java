package io.multiplicity.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;

/**
 * What {@code login} keeps in the configuration file: the panel's URL and either a panel-issued API
 * token, or the OIDC tokens of a user's login with what is needed to refresh them.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Credentials(
        String url,
        String apiToken,
        String issuer,
        String clientId,
        String accessToken,
        Instant accessTokenExpiresAt,
        String refreshToken,
        Instant refreshTokenExpiresAt) {

    public static Credentials none(String url) {
        return new Credentials(url, null, null, null, null, null, null, null);
    }

    public static Credentials ofApiToken(String url, String token) {
        return new Credentials(url, token, null, null, null, null, null, null);
    }

    public boolean loggedIn() {
        return apiToken != null || accessToken != null;
    }
}

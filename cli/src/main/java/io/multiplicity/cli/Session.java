package io.multiplicity.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * Who the CLI acts as and against which panel: the URL ({@code --url}, else {@code MULTIPLICITY_URL},
 * else the one logged in to, else {@code http://localhost:8080}) and the credential
 * ({@code MULTIPLICITY_TOKEN}, else the stored API token, else the stored login, refreshed when its
 * access token is about to expire).
 */
public final class Session {

    public static final String DEFAULT_URL = "http://localhost:8080";
    public static final String URL_VARIABLE = "MULTIPLICITY_URL";
    public static final String TOKEN_VARIABLE = "MULTIPLICITY_TOKEN";
    private static final Duration REFRESH_AHEAD = Duration.ofSeconds(30);
    /** Where an OpenID Connect provider's endpoints start, below its issuer URL. */
    private static final String OIDC_ENDPOINTS = "/protocol/openid-connect/";

    private final Map<String, String> environment;
    private final ConfigStore store;
    private final ObjectMapper json;
    private final HttpClient http;
    private final String urlOption;
    private final String tenant;
    private Credentials credentials;

    public Session(Map<String, String> environment, ConfigStore store, ObjectMapper json, String urlOption,
                   String tenant) {
        this.environment = environment;
        this.store = store;
        this.json = json;
        this.urlOption = urlOption;
        this.tenant = tenant;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    public HttpClient http() {
        return http;
    }

    public ObjectMapper json() {
        return json;
    }

    public ConfigStore store() {
        return store;
    }

    public Credentials credentials() {
        if (credentials == null) {
            credentials = store.load();
        }
        return credentials;
    }

    public String url() {
        if (urlOption != null && !urlOption.isBlank()) {
            return strip(urlOption);
        }
        String fromEnvironment = environment.get(URL_VARIABLE);
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            return strip(fromEnvironment);
        }
        Credentials stored = credentials();
        return stored != null && stored.url() != null ? stored.url() : DEFAULT_URL;
    }

    public PanelClient api() {
        return new PanelClient(http, json, url(), this::bearer, tenant);
    }

    /** An API client that sends {@code token} whatever is stored (login checks a token with it). */
    public PanelClient apiWith(String url, String token) {
        return new PanelClient(http, json, url, () -> token, tenant);
    }

    public void save(Credentials updated) {
        store.save(updated);
        credentials = updated;
    }

    private String bearer() {
        String fromEnvironment = environment.get(TOKEN_VARIABLE);
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            return fromEnvironment.strip();
        }
        Credentials stored = credentials();
        if (stored == null || !stored.loggedIn()) {
            throw new CliException(ExitCodes.AUTH, "not logged in: run multiplicity login (or set " + TOKEN_VARIABLE + ")");
        }
        if (stored.url() != null && !stored.url().equals(url())) {
            // A login is for the panel it was made at: never hand its credential to another one.
            throw new CliException(ExitCodes.AUTH, "logged in to " + stored.url() + ", not to " + url()
                    + ": run multiplicity --url " + url() + " login");
        }
        if (stored.apiToken() != null) {
            return stored.apiToken();
        }
        if (stored.accessTokenExpiresAt() != null && Instant.now().plus(REFRESH_AHEAD).isAfter(stored.accessTokenExpiresAt())) {
            if (stored.refreshToken() == null || (stored.refreshTokenExpiresAt() != null
                    && Instant.now().isAfter(stored.refreshTokenExpiresAt()))) {
                throw new CliException(ExitCodes.AUTH, "the login expired: run multiplicity login");
            }
            IdentityProvider provider = IdentityProvider.discover(http, json, stored.issuer());
            IdentityProvider.Tokens tokens = provider.refresh(stored.refreshToken());
            save(new Credentials(stored.url(), null, stored.issuer(), stored.clientId(), tokens.accessToken(),
                    tokens.accessTokenExpiresAt(), tokens.refreshToken() != null ? tokens.refreshToken() : stored.refreshToken(),
                    tokens.refreshToken() != null ? tokens.refreshTokenExpiresAt() : stored.refreshTokenExpiresAt()));
            return tokens.accessToken();
        }
        return stored.accessToken();
    }

    /**
     * The panel's identity provider, so that {@code login} needs nothing but the panel's URL: where
     * the portal's sign-in ({@code /login}) sends a browser, else what the OpenAPI document declares
     * (the {@code openIdConnectUrl} of its security scheme, fixed when the panel was built).
     */
    public String discoverIssuer(String url) {
        try {
            java.net.http.HttpResponse<Void> signIn = http.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(url + "/login")).timeout(Duration.ofSeconds(15)).GET().build(),
                    java.net.http.HttpResponse.BodyHandlers.discarding());
            String location = signIn.headers().firstValue("Location").orElse("");
            int endpoint = location.indexOf(OIDC_ENDPOINTS);
            if (signIn.statusCode() / 100 == 3 && endpoint > 0) {
                return location.substring(0, endpoint);
            }
        } catch (java.io.IOException e) {
            throw new CliException(ExitCodes.UNREACHABLE, "cannot reach the panel at " + url + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.UNREACHABLE, "interrupted", e);
        }
        PanelClient anonymous = apiWith(url, null);
        JsonNode document = anonymous.get("/q/openapi?format=json");
        for (JsonNode scheme : document.path("components").path("securitySchemes")) {
            String discovery = scheme.path("openIdConnectUrl").asText("");
            if (!discovery.isEmpty()) {
                return discovery.replaceFirst("/\\.well-known/openid-configuration/?$", "");
            }
        }
        throw new CliException(ExitCodes.AUTH, "the panel at " + url
                + " does not name its identity provider; give it with login --issuer");
    }

    private static String strip(String url) {
        return url.strip().replaceAll("/+$", "");
    }
}

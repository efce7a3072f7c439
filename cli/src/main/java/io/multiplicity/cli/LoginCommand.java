package io.multiplicity.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "login", description = {
        "Log in to the panel and keep the login in ~/.config/multiplicity/config.json (mode 0600).",
        "Without options: the device authorization grant (open the printed address in a browser, enter the code).",
        "--token: a panel-issued API token (mpt_...). --username: the password grant, for scripts, where the "
                + "realm allows it (the password from --password-stdin, else asked for on the terminal)."})
public class LoginCommand extends PanelCommand {

    @Option(names = "--token", paramLabel = "TOKEN", description = "An API token (mpt_...); '-' reads it from standard input.")
    String token;

    @Option(names = "--username", paramLabel = "USER", description = "Log in with a user name and password.")
    String username;

    @Option(names = "--password-stdin", description = "Read the password from standard input (with --username).")
    boolean passwordFromStdin;

    @Option(names = "--issuer", paramLabel = "URL",
            description = "The OpenID Connect issuer (default: the one the panel's OpenAPI document names).")
    String issuer;

    @Override
    protected void run() throws Exception {
        Session session = session();
        String url = session.url();
        if (token != null && username != null) {
            throw new CliException(ExitCodes.USAGE, "give either --token or --username, not both");
        }
        if (token != null) {
            String secret = "-".equals(token) ? readLine("token") : token.strip();
            JsonNode me = session.apiWith(url, secret).get(PanelClient.API + "/me");
            session.save(Credentials.ofApiToken(url, secret));
            report(url, me);
            return;
        }
        String issuerUrl = issuer != null ? issuer.replaceAll("/+$", "") : session.discoverIssuer(url);
        IdentityProvider provider = IdentityProvider.discover(session.http(), session.json(), issuerUrl);
        IdentityProvider.Tokens tokens;
        if (username != null) {
            tokens = provider.passwordGrant(username, password());
        } else {
            tokens = provider.deviceGrant(root().err());
        }
        JsonNode me = session.apiWith(url, tokens.accessToken()).get(PanelClient.API + "/me");
        session.save(new Credentials(url, null, provider.issuer(), IdentityProvider.CLIENT_ID, tokens.accessToken(),
                tokens.accessTokenExpiresAt(), tokens.refreshToken(), tokens.refreshTokenExpiresAt()));
        report(url, me);
    }

    private void report(String url, JsonNode me) {
        printer().message("Logged in to " + url + " as " + me.path("username").asText()
                + (me.hasNonNull("tenant") ? " (tenant " + me.get("tenant").asText() + ")" : ""), me);
    }

    private String password() throws Exception {
        if (passwordFromStdin) {
            return readLine("password");
        }
        java.io.Console console = System.console();
        if (console == null) {
            throw new CliException(ExitCodes.USAGE, "no terminal to ask for the password: use --password-stdin");
        }
        char[] typed = console.readPassword("Password for %s: ", username);
        if (typed == null) {
            throw new CliException(ExitCodes.USAGE, "no password given");
        }
        return new String(typed);
    }

    private String readLine(String what) throws Exception {
        String line = new BufferedReader(new InputStreamReader(root().in(), StandardCharsets.UTF_8)).readLine();
        if (line == null || line.isBlank()) {
            throw new CliException(ExitCodes.USAGE, "no " + what + " on standard input");
        }
        return line.strip();
    }
}

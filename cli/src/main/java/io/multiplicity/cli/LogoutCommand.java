package io.multiplicity.cli;

import picocli.CommandLine.Command;

@Command(name = "logout", description = "Forget the stored login (a user's login is also ended at the identity provider; "
        + "an API token stays valid until it is revoked: multiplicity tokens revoke).")
public class LogoutCommand extends PanelCommand {

    @Override
    protected void run() {
        Session session = session();
        Credentials stored = session.credentials();
        if (stored == null || !stored.loggedIn()) {
            printer().message("Not logged in.", session.json().createObjectNode().put("loggedIn", false));
            return;
        }
        if (stored.refreshToken() != null && stored.issuer() != null) {
            try {
                IdentityProvider.discover(session.http(), session.json(), stored.issuer()).revoke(stored.refreshToken());
            } catch (CliException unreachable) {
                root().err().println("warning: could not end the login at the identity provider: "
                        + unreachable.getMessage());
            }
        }
        session.save(Credentials.none(stored.url()));
        printer().message("Logged out of " + stored.url() + ".", session.json().createObjectNode().put("loggedIn", false));
    }
}

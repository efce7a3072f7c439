package io.multiplicity.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "tokens", aliases = "token", description = "API tokens for scripts (tenant admins; platform admins for the platform).",
        subcommands = {TokensCommand.ListTokens.class, TokensCommand.Create.class, TokensCommand.Revoke.class})
public class TokensCommand {

    static final String PATH = PanelClient.API + "/tokens";

    @Command(name = "list", aliases = "ls", description = "The tenant's tokens, newest first.")
    static class ListTokens extends PanelCommand {
        @Override
        protected void run() {
            printer().list(api().list(PATH), List.of(new Printer.Column("NAME", "name"), new Printer.Column("ROLE", "role"),
                    new Printer.Column("STATE", "state"), new Printer.Column("TOKEN", "display"),
                    new Printer.Column("EXPIRES", "expiresAt"), new Printer.Column("LAST USED", "lastUsedAt"),
                    new Printer.Column("ID", "id")));
        }
    }

    @Command(name = "create", description = "Create a token; its secret (mpt_...) is printed this once.")
    static class Create extends PanelCommand {
        @Parameters(paramLabel = "NAME", description = "A DNS label, e.g. ci-deploy.") String name;
        @Option(names = "--role", required = true, description = "tenant-admin, tenant-member, tenant-viewer (platform admins: platform-admin).") String role;
        @Option(names = "--expires-in", paramLabel = "DAYS", description = "Days until it expires (default the panel's: 30; at most 365).") Integer days;

        @Override
        protected void run() {
            PanelClient api = api();
            ObjectNode body = api.json().createObjectNode().put("name", name).put("role", role);
            if (days != null) {
                body.put("expiresAt", Instant.now().plus(Duration.ofDays(days)).toString());
            }
            JsonNode created = api.post(PATH, body, Map.of(PanelClient.IDEMPOTENCY_KEY, UUID.randomUUID().toString()));
            if (printer().format() == OutputFormat.table) {
                printer().out().println(created.path("secret").asText());
                root().err().println("(token " + name + ", " + role + ", expires " + created.path("token").path("expiresAt").asText()
                        + "; keep the secret now: it is never shown again)");
            } else {
                printer().raw(created);
            }
        }
    }

    @Command(name = "revoke", description = "Revoke a token (by name or id): its next request answers 401.")
    static class Revoke extends PanelCommand {
        @Parameters(paramLabel = "TOKEN") String token;

        @Override
        protected void run() {
            PanelClient api = api();
            String id = Names.resolve(api, PATH, "name", token, "token");
            api.delete(PanelClient.path("/tokens", id));
            printer().message("Revoked " + token, api.json().createObjectNode().put("id", id).put("revoked", true));
        }
    }
}

package io.multiplicity.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "ssh-keys", aliases = "ssh-key", description = "Your SSH public keys (given to instances at creation with --ssh-key).",
        subcommands = {SshKeysCommand.ListKeys.class, SshKeysCommand.Add.class, SshKeysCommand.Remove.class})
public class SshKeysCommand {

    static final String PATH = PanelClient.API + "/ssh-keys";

    @Command(name = "list", aliases = "ls", description = "Your keys.")
    static class ListKeys extends PanelCommand {
        @Override
        protected void run() {
            printer().list(api().list(PATH), List.of(new Printer.Column("NAME", "name"), new Printer.Column("TYPE", "type"),
                    new Printer.Column("BITS", "bits"), new Printer.Column("FINGERPRINT", "fingerprint"),
                    new Printer.Column("COMMENT", "comment"), new Printer.Column("ID", "id")));
        }
    }

    @Command(name = "add", description = "Add a key: one line as OpenSSH writes it, from a file (e.g. ~/.ssh/id_ed25519.pub) or --key.")
    static class Add extends PanelCommand {
        @Parameters(index = "0", paramLabel = "NAME") String name;
        @Parameters(index = "1", paramLabel = "FILE", arity = "0..1", description = "The public key file.") Path file;
        @Option(names = "--key", paramLabel = "PUBLIC_KEY", description = "The key itself instead of a file.") String key;

        @Override
        protected void run() throws Exception {
            if ((file == null) == (key == null)) {
                throw new CliException(ExitCodes.USAGE, "give the public key file or --key (one of them)");
            }
            String publicKey = key != null ? key : Files.readString(file, StandardCharsets.UTF_8).strip();
            PanelClient api = api();
            JsonNode added = api.post(PATH, api.json().createObjectNode().put("name", name).put("publicKey", publicKey));
            printer().message("Added " + added.path("name").asText() + " " + added.path("fingerprint").asText(), added);
        }
    }

    @Command(name = "remove", aliases = "rm", description = "Remove a key (instances created with it keep it).")
    static class Remove extends PanelCommand {
        @Parameters(paramLabel = "NAME", description = "Its name or id.") String name;

        @Override
        protected void run() {
            PanelClient api = api();
            String id = Names.resolve(api, PATH, "name", name, "SSH key");
            api.delete(PanelClient.path("/ssh-keys", id));
            printer().message("Removed " + name, api.json().createObjectNode().put("id", id).put("deleted", true));
        }
    }
}

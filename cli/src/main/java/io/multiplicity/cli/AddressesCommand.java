package io.multiplicity.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "addresses", aliases = "address", description = "Public addresses given whole to instances (1:1 NAT).",
        subcommands = {AddressesCommand.ListAddresses.class, AddressesCommand.Add.class, AddressesCommand.Release.class})
public class AddressesCommand {

    static final String PATH = PanelClient.API + "/addresses";

    @Command(name = "list", aliases = "ls", description = "The tenant's public addresses.")
    static class ListAddresses extends PanelCommand {
        @Override
        protected void run() {
            printer().list(api().list(PATH), List.of(new Printer.Column("ADDRESS", "address"),
                    new Printer.Column("INSTANCE", "instanceName"), new Printer.Column("CREATED", "createdAt"),
                    new Printer.Column("ID", "id")));
        }
    }

    @Command(name = "add", description = "Give an instance a public address of its host.")
    static class Add extends PanelCommand {
        @Parameters(paramLabel = "INSTANCE", description = "The instance's name or id.") String instance;

        @Override
        protected void run() {
            PanelClient api = api();
            JsonNode operation = api.post(PATH, api.json().createObjectNode().put("instance", Names.instance(api, instance)));
            JsonNode address = api.get(PanelClient.path("/addresses", operation.path("target").asText()));
            printer().message("Gave " + instance + " the address " + address.path("address").asText(), address);
        }
    }

    @Command(name = "release", aliases = "rm", description = "Release a public address (by the address or its id).")
    static class Release extends PanelCommand {
        @Parameters(paramLabel = "ADDRESS") String address;

        @Override
        protected void run() {
            PanelClient api = api();
            String id = Names.resolve(api, PATH, "address", address, "public address");
            JsonNode operation = api.delete(PanelClient.path("/addresses", id));
            printer().message("Released " + address, operation);
        }
    }
}

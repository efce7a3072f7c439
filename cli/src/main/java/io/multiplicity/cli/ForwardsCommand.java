package io.multiplicity.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "forwards", aliases = "forward", description = "Ports of the hosts' shared public addresses forwarded to instances.",
        subcommands = {ForwardsCommand.ListForwards.class, ForwardsCommand.Add.class, ForwardsCommand.Remove.class})
public class ForwardsCommand {

    static final String PATH = PanelClient.API + "/forwards";

    @Command(name = "list", aliases = "ls", description = "The tenant's port forwards.")
    static class ListForwards extends PanelCommand {
        @Override
        protected void run() {
            printer().list(api().list(PATH), List.of(new Printer.Column("ADDRESS", "address"),
                    new Printer.Column("PROTOCOL", "protocol"), new Printer.Column("PORT", "port"),
                    new Printer.Column("INSTANCE", "instanceName"), new Printer.Column("TARGET PORT", "targetPort"),
                    new Printer.Column("ID", "id")));
        }
    }

    @Command(name = "add", description = "Forward a port of a shared address of the instance's host to the instance.")
    static class Add extends PanelCommand {
        @Parameters(index = "0", paramLabel = "INSTANCE") String instance;
        @Parameters(index = "1", paramLabel = "PORT") int port;
        @Option(names = "--target-port", description = "The instance's port (default: the same).") Integer targetPort;
        @Option(names = "--protocol", description = "tcp (default) or udp.") String protocol;
        @Option(names = "--address", description = "Which shared address (default: the first where the port is free).") String address;

        @Override
        protected void run() {
            PanelClient api = api();
            ObjectNode body = api.json().createObjectNode().put("instance", Names.instance(api, instance)).put("port", port);
            if (targetPort != null) body.put("targetPort", targetPort);
            if (protocol != null) body.put("protocol", protocol);
            if (address != null) body.put("address", address);
            JsonNode operation = api.post(PATH, body);
            JsonNode forward = api.get(PanelClient.path("/forwards", operation.path("target").asText()));
            printer().message("Forwarding " + forward.path("protocol").asText() + " " + forward.path("address").asText() + ":"
                    + forward.path("port").asText() + " to " + instance + ":" + forward.path("targetPort").asText(), forward);
        }
    }

    @Command(name = "remove", aliases = "rm", description = "Remove a forward (by id).")
    static class Remove extends PanelCommand {
        @Parameters(paramLabel = "ID") String id;

        @Override
        protected void run() {
            JsonNode operation = api().delete(PanelClient.path("/forwards", id));
            printer().message("Removed forward " + id, operation);
        }
    }
}

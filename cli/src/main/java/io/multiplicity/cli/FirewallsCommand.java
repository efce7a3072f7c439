package io.multiplicity.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "firewalls", aliases = "firewall", description = {
        "Inbound firewalls for what instances publish (public addresses, forwards).",
        "A rule is PROTOCOL[:PORT[-PORT]]@SOURCE: tcp:22@198.51.100.0/24, udp:5000-5100@0.0.0.0/0, icmp@0.0.0.0/0."},
        subcommands = {FirewallsCommand.ListFirewalls.class, FirewallsCommand.Show.class, FirewallsCommand.Create.class,
                FirewallsCommand.Update.class, FirewallsCommand.Delete.class, FirewallsCommand.Apply.class})
public class FirewallsCommand {

    static final String PATH = PanelClient.API + "/firewalls";
    private static final Pattern RULE = Pattern.compile("(tcp|udp|icmp|any)(?::(\\d+)(?:-(\\d+))?)?@(\\S+)");

    static String resolve(PanelClient api, String nameOrId) {
        return Names.resolve(api, PATH, "name", nameOrId, "firewall");
    }

    static ArrayNode rules(ObjectMapper json, List<String> rules) {
        ArrayNode array = json.createArrayNode();
        for (String rule : rules) {
            Matcher matcher = RULE.matcher(rule.strip());
            if (!matcher.matches()) {
                throw new CliException(ExitCodes.USAGE, "'" + rule + "' is not a rule: PROTOCOL[:PORT[-PORT]]@SOURCE, "
                        + "e.g. tcp:22@198.51.100.0/24");
            }
            ObjectNode node = array.addObject().put("protocol", matcher.group(1)).put("source", matcher.group(4));
            if (matcher.group(2) != null) node.put("fromPort", Integer.parseInt(matcher.group(2)));
            if (matcher.group(3) != null) node.put("toPort", Integer.parseInt(matcher.group(3)));
        }
        return array;
    }

    /** Whether a firewall's rules also filter the instance's own tenant network. */
    enum Inside { open, filtered }

    static void printFirewall(Printer printer, JsonNode firewall) {
        if (printer.format() != OutputFormat.table) {
            printer.raw(firewall);
            return;
        }
        ObjectNode summary = firewall.deepCopy();
        summary.remove("rules");
        printer.object(summary);
        printer.out().println();
        printer.list(firewall.path("rules"), List.of(new Printer.Column("PROTOCOL", "protocol"),
                new Printer.Column("FROM PORT", "fromPort"), new Printer.Column("TO PORT", "toPort"),
                new Printer.Column("SOURCE", "source"), new Printer.Column("DESCRIPTION", "description")));
    }

    @Command(name = "list", aliases = "ls", description = "The tenant's firewalls.")
    static class ListFirewalls extends PanelCommand {
        @Override
        protected void run() {
            printer().list(api().list(PATH), List.of(new Printer.Column("NAME", "name"),
                    new Printer.Column("DESCRIPTION", "description"), new Printer.Column("INSIDE", "inside"),
                    new Printer.Column("INSTANCES", "instances"), new Printer.Column("ID", "id")));
        }
    }

    @Command(name = "show", description = "One firewall with its rules.")
    static class Show extends PanelCommand {
        @Parameters(paramLabel = "FIREWALL") String firewall;

        @Override
        protected void run() {
            PanelClient api = api();
            printFirewall(printer(), api.get(PanelClient.path("/firewalls", resolve(api, firewall))));
        }
    }

    @Command(name = "create", description = "Create a firewall.")
    static class Create extends PanelCommand {
        @Parameters(paramLabel = "NAME") String name;
        @Option(names = "--description") String description;
        @Option(names = "--rule", paramLabel = "RULE", description = "An allow rule (repeatable).") List<String> rules = new ArrayList<>();
        @Option(names = "--inside", paramLabel = "open|filtered", description = "Whether the rules also filter the"
                + " tenant network (default: open).") Inside inside;

        @Override
        protected void run() {
            PanelClient api = api();
            ObjectNode body = api.json().createObjectNode().put("name", name);
            if (description != null) body.put("description", description);
            if (inside != null) body.put("inside", inside.name());
            body.set("rules", rules(api.json(), rules));
            JsonNode operation = api.post(PATH, body);
            printFirewall(printer(), api.get(PanelClient.path("/firewalls", operation.path("target").asText())));
        }
    }

    @Command(name = "update", description = "Change a firewall's description, rules (--rule given: they replace all)"
            + " or whether they filter the tenant network.")
    static class Update extends PanelCommand {
        @Parameters(paramLabel = "FIREWALL") String firewall;
        @Option(names = "--description") String description;
        @Option(names = "--rule", paramLabel = "RULE") List<String> rules;
        @Option(names = "--inside", paramLabel = "open|filtered") Inside inside;

        @Override
        protected void run() {
            PanelClient api = api();
            String id = resolve(api, firewall);
            ObjectNode body = api.json().createObjectNode();
            if (description != null) body.put("description", description);
            if (inside != null) body.put("inside", inside.name());
            if (rules != null) body.set("rules", rules(api.json(), rules));
            api.patch(PanelClient.path("/firewalls", id), body, java.util.Map.of());
            printFirewall(printer(), api.get(PanelClient.path("/firewalls", id)));
        }
    }

    @Command(name = "delete", aliases = "rm", description = "Delete a firewall (refused while applied to an instance).")
    static class Delete extends PanelCommand {
        @Parameters(paramLabel = "FIREWALL") String firewall;

        @Override
        protected void run() {
            PanelClient api = api();
            JsonNode operation = api.delete(PanelClient.path("/firewalls", resolve(api, firewall)));
            printer().message("Deleted firewall " + firewall, operation);
        }
    }

    @Command(name = "apply", description = "Apply a firewall to an instance, or --none to remove it.")
    static class Apply extends PanelCommand {
        @Parameters(index = "0", paramLabel = "INSTANCE") String instance;
        @Parameters(index = "1", paramLabel = "FIREWALL", arity = "0..1") String firewall;
        @Option(names = "--none", description = "No firewall: what the instance publishes is open.") boolean none;

        @Override
        protected void run() {
            if (none == (firewall != null)) {
                throw new CliException(ExitCodes.USAGE, "give a firewall or --none (one of them)");
            }
            PanelClient api = api();
            ObjectNode body = api.json().createObjectNode();
            if (none) {
                body.putNull("firewall");
            } else {
                body.put("firewall", resolve(api, firewall));
            }
            JsonNode operation = api.put(PanelClient.path("/instances", Names.instance(api, instance), "firewall"), body);
            printer().message(none ? "Removed the firewall of " + instance : "Applied " + firewall + " to " + instance, operation);
        }
    }
}

package io.multiplicity.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "instances", aliases = "instance", description = "Jails and VMs: list, create, run, resize, snapshot, delete.",
        subcommands = {InstancesCommand.ListInstances.class, InstancesCommand.Show.class, InstancesCommand.Create.class,
                InstancesCommand.Start.class, InstancesCommand.Stop.class, InstancesCommand.Restart.class,
                InstancesCommand.Delete.class, InstancesCommand.Resize.class, InstancesCommand.Snapshot.class,
                InstancesCommand.Snapshots.class, InstancesCommand.Rollback.class, InstancesCommand.Types.class})
public class InstancesCommand {

    static final List<Printer.Column> COLUMNS = List.of(new Printer.Column("NAME", "name"),
            new Printer.Column("KIND", "kind"), new Printer.Column("STATE", "state"),
            new Printer.Column("IMAGE", "image"), new Printer.Column("VCPUS", "vcpus"),
            new Printer.Column("MEMORY MiB", "memoryMiB"), new Printer.Column("DISK GiB", "diskGiB"),
            new Printer.Column("ADDRESS", "address"), new Printer.Column("ID", "id"));

    static final List<Printer.Column> OPERATION_COLUMNS = List.of(new Printer.Column("OPERATION", "id"),
            new Printer.Column("KIND", "kind"), new Printer.Column("STATE", "state"),
            new Printer.Column("PROGRESS", "progress"), new Printer.Column("ERROR", "error"));

    /** Prints the operation (table: one line) once it was followed or accepted. */
    static void printOperation(Printer printer, JsonNode operation) {
        if (printer.format() == OutputFormat.table) {
            printer.out().println(operation.path("kind").asText() + " " + operation.path("state").asText()
                    + " (operation " + operation.path("id").asText() + ")");
        } else {
            printer.raw(operation);
        }
    }

    @Command(name = "list", aliases = "ls", description = "The tenant's instances.")
    static class ListInstances extends PanelCommand {
        @Option(names = "--kind", description = "jail or vm") String kind;

        @Override
        protected void run() {
            printer().list(api().list(PanelClient.API + "/instances" + (kind == null ? "" : "?kind=" + PanelClient.encode(kind))),
                    COLUMNS);
        }
    }

    @Command(name = "types", description = "The instance types (sizes) to create instances with.")
    static class Types extends PanelCommand {
        @Option(names = "--kind", description = "jail or vm") String kind;

        @Override
        protected void run() {
            printer().list(api().list(PanelClient.API + "/instance-types" + (kind == null ? "" : "?kind=" + PanelClient.encode(kind))),
                    List.of(new Printer.Column("NAME", "name"), new Printer.Column("KIND", "kind"),
                            new Printer.Column("VCPUS", "vcpus"), new Printer.Column("MEMORY MiB", "memoryMiB"),
                            new Printer.Column("DISK GiB", "diskGiB")));
        }
    }

    @Command(name = "show", description = "One instance.")
    static class Show extends PanelCommand {
        @Parameters(paramLabel = "NAME", description = "Its name or id.") String name;

        @Override
        protected void run() {
            PanelClient api = api();
            printer().object(api.get(PanelClient.path("/instances", Names.instance(api, name))));
        }
    }

    /** Sizes: a named type, or vCPUs, memory and disk of one's own (which override the type's). */
    static class Sizes {
        @Option(names = "--type", paramLabel = "TYPE", description = "An instance type (see: multiplicity instances types).") String type;
        @Option(names = "--vcpus", paramLabel = "N") Integer vcpus;
        @Option(names = "--memory", paramLabel = "MiB", description = "Memory in MiB.") Integer memoryMiB;
        @Option(names = "--disk", paramLabel = "GiB", description = "Disk in GiB.") Integer diskGiB;
    }

    @Command(name = "create", description = "Create an instance (sends an Idempotency-Key, so a retry creates nothing twice).")
    static class Create extends PanelCommand {
        @Parameters(paramLabel = "NAME", description = "A DNS label.") String name;
        @Option(names = "--kind", defaultValue = "jail", description = "jail (default) or vm.") String kind;
        @Option(names = "--image", required = true, description = "An image reference: busybox, debian/12/stable, debian@12.8.") String image;
        @Mixin Sizes sizes;
        @Option(names = "--ssh-key", paramLabel = "KEY", description = "One of your SSH keys, by name or id (repeatable).") List<String> sshKeys = new ArrayList<>();
        @Option(names = "--user-data", paramLabel = "FILE", description = "A user-data file: a #! script or cloud-config.") Path userData;
        @Option(names = "--restart-policy", description = "never, on-failure (default) or always.") String restartPolicy;
        @Option(names = "--start", description = "Start it once created.") boolean start;
        @Option(names = "--idempotency-key", paramLabel = "KEY", description = "The key to send (default: a new UUID).") String idempotencyKey;
        @Mixin WaitOption waiting;

        @Override
        protected void run() throws Exception {
            PanelClient api = api();
            ObjectNode body = api.json().createObjectNode().put("name", name).put("kind", kind).put("image", image);
            if (sizes.type != null) body.put("type", sizes.type);
            if (sizes.vcpus != null) body.put("vcpus", sizes.vcpus);
            if (sizes.memoryMiB != null) body.put("memoryMiB", sizes.memoryMiB);
            if (sizes.diskGiB != null) body.put("diskGiB", sizes.diskGiB);
            if (start) body.put("start", true);
            if (restartPolicy != null) body.put("restartPolicy", restartPolicy);
            if (!sshKeys.isEmpty()) {
                ArrayNode keys = body.putArray("sshKeys");
                for (String key : sshKeys) {
                    keys.add(Names.resolve(api, PanelClient.API + "/ssh-keys", "name", key, "SSH key"));
                }
            }
            if (userData != null) {
                if (!Files.isReadable(userData)) {
                    throw new CliException(ExitCodes.USAGE, "cannot read the user-data file " + userData);
                }
                body.put("userData", Files.readString(userData, StandardCharsets.UTF_8));
            }
            String key = idempotencyKey != null ? idempotencyKey : UUID.randomUUID().toString();
            JsonNode operation = api.post(PanelClient.API + "/instances", body, Map.of(PanelClient.IDEMPOTENCY_KEY, key));
            printOperation(printer(), waiting.apply(api, operation, progress()));
        }
    }

    /** A lifecycle action on a named instance: POST /instances/{id}/{action}. */
    abstract static class Action extends PanelCommand {
        @Parameters(paramLabel = "NAME", description = "Its name or id.") String name;
        @Mixin WaitOption waiting;

        abstract String action();

        @Override
        protected void run() {
            PanelClient api = api();
            String id = Names.instance(api, name);
            JsonNode operation = api.post(PanelClient.path("/instances", id, action()), null);
            printOperation(printer(), waiting.apply(api, operation, progress()));
        }
    }

    @Command(name = "start", description = "Start an instance.")
    static class Start extends Action {
        @Override
        String action() {
            return "start";
        }
    }

    @Command(name = "stop", description = "Stop an instance.")
    static class Stop extends Action {
        @Override
        String action() {
            return "stop";
        }
    }

    @Command(name = "restart", description = "Restart an instance.")
    static class Restart extends Action {
        @Override
        String action() {
            return "restart";
        }
    }

    @Command(name = "delete", aliases = "rm", description = "Delete an instance and everything it has on its host.")
    static class Delete extends PanelCommand {
        @Parameters(paramLabel = "NAME", description = "Its name or id.") String name;
        @Mixin WaitOption waiting;

        @Override
        protected void run() {
            PanelClient api = api();
            JsonNode operation = api.delete(PanelClient.path("/instances", Names.instance(api, name)));
            printOperation(printer(), waiting.apply(api, operation, progress()));
        }
    }

    @Command(name = "resize", description = "Change vCPUs, memory or disk (disks only grow). Sent with If-Match, "
            + "so a change someone made meanwhile is not overwritten.")
    static class Resize extends PanelCommand {
        @Parameters(paramLabel = "NAME", description = "Its name or id.") String name;
        @Option(names = "--vcpus", paramLabel = "N") Integer vcpus;
        @Option(names = "--memory", paramLabel = "MiB") Integer memoryMiB;
        @Option(names = "--disk", paramLabel = "GiB") Integer diskGiB;
        @Option(names = "--restart-policy") String restartPolicy;
        @Mixin WaitOption waiting;

        @Override
        protected void run() {
            if (vcpus == null && memoryMiB == null && diskGiB == null && restartPolicy == null) {
                throw new CliException(ExitCodes.USAGE, "say what to change: --vcpus, --memory, --disk or --restart-policy");
            }
            PanelClient api = api();
            String path = PanelClient.path("/instances", Names.instance(api, name));
            PanelClient.Answer current = api.getText(path);
            ObjectNode body = api.json().createObjectNode();
            if (vcpus != null) body.put("vcpus", vcpus);
            if (memoryMiB != null) body.put("memoryMiB", memoryMiB);
            if (diskGiB != null) body.put("diskGiB", diskGiB);
            if (restartPolicy != null) body.put("restartPolicy", restartPolicy);
            Map<String, String> headers = current.headers().firstValue("ETag").map(tag -> Map.of("If-Match", tag))
                    .orElse(Map.of());
            JsonNode operation = api.patch(path, body, headers);
            printOperation(printer(), waiting.apply(api, operation, progress()));
        }
    }

    @Command(name = "snapshot", description = "Take a snapshot of an instance's storage.")
    static class Snapshot extends PanelCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "The instance's name or id.") String name;
        @Parameters(index = "1", paramLabel = "SNAPSHOT", description = "The snapshot's name (a DNS label).") String snapshot;
        @Mixin WaitOption waiting;

        @Override
        protected void run() {
            PanelClient api = api();
            JsonNode operation = api.post(PanelClient.path("/instances", Names.instance(api, name), "snapshot"),
                    api.json().createObjectNode().put("name", snapshot),
                    Map.of(PanelClient.IDEMPOTENCY_KEY, UUID.randomUUID().toString()));
            printOperation(printer(), waiting.apply(api, operation, progress()));
        }
    }

    @Command(name = "snapshots", description = "An instance's snapshots, oldest first.")
    static class Snapshots extends PanelCommand {
        @Parameters(paramLabel = "NAME", description = "The instance's name or id.") String name;

        @Override
        protected void run() {
            PanelClient api = api();
            printer().list(api.list(PanelClient.path("/instances", Names.instance(api, name), "snapshots")),
                    List.of(new Printer.Column("NAME", "name"), new Printer.Column("CREATED", "createdAt"),
                            new Printer.Column("SCHEDULE", "schedule")));
        }
    }

    @Command(name = "rollback", description = "Roll an instance back to a snapshot (later snapshots are destroyed).")
    static class Rollback extends PanelCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "The instance's name or id.") String name;
        @Parameters(index = "1", paramLabel = "SNAPSHOT") String snapshot;
        @Mixin WaitOption waiting;

        @Override
        protected void run() {
            PanelClient api = api();
            JsonNode operation = api.post(PanelClient.path("/instances", Names.instance(api, name), "rollback"),
                    api.json().createObjectNode().put("name", snapshot));
            printOperation(printer(), waiting.apply(api, operation, progress()));
        }
    }
}

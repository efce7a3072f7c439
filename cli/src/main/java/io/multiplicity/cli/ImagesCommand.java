package io.multiplicity.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "images", aliases = "image", description = "The image catalog: list, create, upload versions, channels, shares.",
        subcommands = {ImagesCommand.ListImages.class, ImagesCommand.Show.class, ImagesCommand.Create.class,
                ImagesCommand.Upload.class, ImagesCommand.Delete.class, ImagesCommand.Channels.class,
                ImagesCommand.Share.class, ImagesCommand.Unshare.class})
public class ImagesCommand {

    static final List<Printer.Column> COLUMNS = List.of(new Printer.Column("NAME", "name"),
            new Printer.Column("KIND", "kind"), new Printer.Column("OS", "os"),
            new Printer.Column("VISIBILITY", "visibility"), new Printer.Column("LATEST", "latestVersion"),
            new Printer.Column("TENANT", "tenant"), new Printer.Column("ID", "id"));

    static String resolve(PanelClient api, String nameOrId) {
        return Names.resolve(api, PanelClient.API + "/images", "name", nameOrId, "image");
    }

    @Command(name = "list", aliases = "ls", description = "The images the tenant may use.")
    static class ListImages extends PanelCommand {
        @Option(names = "--kind", description = "jail or vm") String kind;

        @Override
        protected void run() {
            printer().list(api().list(PanelClient.API + "/images" + (kind == null ? "" : "?kind=" + PanelClient.encode(kind))),
                    COLUMNS);
        }
    }

    @Command(name = "show", description = "One image with its versions and channels.")
    static class Show extends PanelCommand {
        @Parameters(paramLabel = "IMAGE", description = "Its name or id.") String image;

        @Override
        protected void run() {
            PanelClient api = api();
            JsonNode view = api.get(PanelClient.path("/images", resolve(api, image)));
            if (printer().format() != OutputFormat.table) {
                printer().raw(view);
                return;
            }
            ObjectNode summary = view.deepCopy();
            summary.remove("versions");
            printer().object(summary);
            printer().out().println();
            printer().list(view.path("versions"), List.of(new Printer.Column("VERSION", "version"),
                    new Printer.Column("FORMAT", "format"), new Printer.Column("BYTES", "sizeBytes"),
                    new Printer.Column("CHANNELS", "channels"), new Printer.Column("INSTANCES", "instances"),
                    new Printer.Column("SHA256", "sha256")));
        }
    }

    @Command(name = "create", description = "Create an image (then upload versions into it). A tenant's images are private.")
    static class Create extends PanelCommand {
        @Parameters(paramLabel = "NAME") String name;
        @Option(names = "--kind", defaultValue = "jail", description = "jail (default) or vm.") String kind;
        @Option(names = "--os", required = true, description = "A short name such as debian.") String os;
        @Option(names = "--description") String description;
        @Option(names = "--architecture", description = "x86_64 or aarch64.") String architecture;
        @Option(names = "--boot", description = "VMs: kernel or firmware.") String boot;

        @Override
        protected void run() {
            PanelClient api = api();
            ObjectNode body = api.json().createObjectNode().put("name", name).put("kind", kind).put("os", os);
            if (description != null) body.put("description", description);
            if (architecture != null) body.put("architecture", architecture);
            if (boot != null) body.put("boot", boot);
            JsonNode image = api.post(PanelClient.API + "/images", body,
                    Map.of(PanelClient.IDEMPOTENCY_KEY, UUID.randomUUID().toString()));
            printer().message("Created image " + image.path("name").asText() + " (" + image.path("id").asText() + ")", image);
        }
    }

    @Command(name = "upload", description = "Upload a version: a root file system tarball (tar, tar.gz, tar.xz, tar.zst) "
            + "for jails; a raw or qcow2 disk or a kernel tarball for VMs. Its SHA-256 is computed first and checked by the panel.")
    static class Upload extends PanelCommand {
        @Parameters(index = "0", paramLabel = "IMAGE", description = "The image's name or id.") String image;
        @Parameters(index = "1", paramLabel = "FILE") Path file;
        @Option(names = "--version", required = true, description = "The version's label, e.g. 12.8 or 2026-11-30.") String version;
        @Option(names = "--format", description = "tar, tar.gz, tar.xz, tar.zst, raw, qcow2 or kernel (jail tarballs are told apart by their bytes).") String format;
        @Option(names = "--channel", paramLabel = "CHANNEL", description = "A channel to point at it (repeatable).") List<String> channels = new ArrayList<>();
        @Option(names = "--cmdline", description = "VM kernel images: the kernel command line.") String cmdline;

        @Override
        protected void run() throws Exception {
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                throw new CliException(ExitCodes.USAGE, "cannot read " + file);
            }
            PanelClient api = api();
            String id = resolve(api, image);
            long size = Files.size(file);
            StringBuilder query = new StringBuilder("?version=").append(PanelClient.encode(version))
                    .append("&size=").append(size).append("&sha256=").append(sha256(file));
            if (format != null) query.append("&format=").append(PanelClient.encode(format));
            if (!channels.isEmpty()) query.append("&channels=").append(PanelClient.encode(String.join(",", channels)));
            if (cmdline != null) query.append("&cmdline=").append(PanelClient.encode(cmdline));
            Progress progress = progress();
            // every percent on a terminal, every tenth on a pipe or in a log
            long step = progress.terminal() ? 1 : 10;
            long[] shownStep = {-1};
            JsonNode view = api.upload(PanelClient.path("/images", id, "versions") + query, file, sent -> {
                long percent = size == 0 ? 100 : sent * 100 / size;
                if (percent / step != shownStep[0]) {
                    shownStep[0] = percent / step;
                    progress.show("uploading " + file.getFileName() + " " + percent + "% " + Progress.bytes(sent)
                            + " of " + Progress.bytes(size));
                }
            });
            progress.show("uploaded " + file.getFileName() + ": " + Progress.bytes(size) + ", checked and imported");
            progress.done();
            printer().message("Image " + view.path("name").asText() + " has version " + version
                    + " (" + view.path("name").asText() + "@" + version + ")", view);
        }

        private String sha256(Path path) throws Exception {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            try (InputStream in = Files.newInputStream(path)) {
                int read;
                while ((read = in.read(buffer)) >= 0) {
                    digest.update(buffer, 0, read);
                }
            } catch (IOException e) {
                throw new CliException(ExitCodes.USAGE, "cannot read " + path + ": " + e.getMessage(), e);
            }
            return HexFormat.of().formatHex(digest.digest());
        }
    }

    @Command(name = "delete", aliases = "rm", description = "Delete an image with all its versions (refused while instances use it).")
    static class Delete extends PanelCommand {
        @Parameters(paramLabel = "IMAGE") String image;

        @Override
        protected void run() {
            PanelClient api = api();
            String id = resolve(api, image);
            api.delete(PanelClient.path("/images", id));
            printer().message("Deleted image " + image, api.json().createObjectNode().put("id", id).put("deleted", true));
        }
    }

    @Command(name = "channels", description = "An image's channels; --set CHANNEL=VERSION points one at a version, --remove CHANNEL removes one.")
    static class Channels extends PanelCommand {
        @Parameters(paramLabel = "IMAGE") String image;
        @Option(names = "--set", paramLabel = "CHANNEL=VERSION") Map<String, String> set;
        @Option(names = "--remove", paramLabel = "CHANNEL") List<String> remove;

        @Override
        protected void run() {
            PanelClient api = api();
            String id = resolve(api, image);
            if (set != null) {
                set.forEach((channel, version) -> api.post(PanelClient.path("/images", id, "channels"),
                        api.json().createObjectNode().put("channel", channel).put("version", version)));
            }
            if (remove != null) {
                for (String channel : remove) {
                    api.delete(PanelClient.path("/images", id, "channels") + "?channel=" + PanelClient.encode(channel));
                }
            }
            JsonNode channels = api.get(PanelClient.path("/images", id)).path("channels");
            List<ObjectNode> rows = new ArrayList<>();
            channels.fields().forEachRemaining(entry -> rows.add(api.json().createObjectNode()
                    .put("channel", entry.getKey()).put("version", entry.getValue().asText())));
            if (printer().format() == OutputFormat.table) {
                printer().list(api.json().valueToTree(rows), List.of(new Printer.Column("CHANNEL", "channel"),
                        new Printer.Column("VERSION", "version")));
            } else {
                printer().raw(channels);
            }
        }
    }

    @Command(name = "share", description = "Offer an image to another tenant (it enters their catalog once their admin accepts).")
    static class Share extends PanelCommand {
        @Parameters(index = "0", paramLabel = "IMAGE") String image;
        @Parameters(index = "1", paramLabel = "TENANT", description = "The tenant's slug.") String tenant;

        @Override
        protected void run() {
            PanelClient api = api();
            JsonNode answer = api.post(PanelClient.path("/images", resolve(api, image), "shares"),
                    api.json().createObjectNode().put("tenant", tenant));
            printer().message("Offered " + image + " to " + tenant, answer);
        }
    }

    @Command(name = "unshare", description = "End a share (instances already created keep running).")
    static class Unshare extends PanelCommand {
        @Parameters(index = "0", paramLabel = "IMAGE") String image;
        @Parameters(index = "1", paramLabel = "TENANT") String tenant;

        @Override
        protected void run() {
            PanelClient api = api();
            JsonNode answer = api.delete(PanelClient.path("/images", resolve(api, image), "shares", tenant));
            printer().message("Stopped sharing " + image + " with " + tenant, answer);
        }
    }
}

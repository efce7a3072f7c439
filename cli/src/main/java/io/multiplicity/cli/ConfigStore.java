package io.multiplicity.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

/**
 * The configuration file {@code config.json} in {@code $MULTIPLICITY_CONFIG_DIR}, else
 * {@code $XDG_CONFIG_HOME/multiplicity}, else {@code ~/.config/multiplicity}. It holds credentials,
 * so the directory is 0700 and the file 0600, written whole to a temporary file and moved in place.
 */
public final class ConfigStore {

    public static final String FILE_NAME = "config.json";

    private final Path directory;
    private final ObjectMapper json;

    public ConfigStore(Path directory, ObjectMapper json) {
        this.directory = directory;
        this.json = json;
    }

    public static Path defaultDirectory(Map<String, String> environment) {
        String own = environment.get("MULTIPLICITY_CONFIG_DIR");
        if (own != null && !own.isBlank()) {
            return Path.of(own);
        }
        String xdg = environment.get("XDG_CONFIG_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".config");
        return base.resolve("multiplicity");
    }

    public Path file() {
        return directory.resolve(FILE_NAME);
    }

    /** The stored credentials, or null when there is no configuration file yet. */
    public Credentials load() {
        Path file = file();
        if (!Files.exists(file)) {
            return null;
        }
        try {
            return json.readValue(file.toFile(), Credentials.class);
        } catch (IOException e) {
            throw new CliException(ExitCodes.USAGE, "cannot read " + file + ": " + e.getMessage()
                    + " (remove it and log in again)", e);
        }
    }

    public void save(Credentials credentials) {
        try {
            Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
            Path temporary = Files.createTempFile(directory, ".config", ".json",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            json.writerWithDefaultPrettyPrinter().writeValue(temporary.toFile(), credentials);
            try {
                Files.move(temporary, file(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, file(), StandardCopyOption.REPLACE_EXISTING);
            }
            Files.setPosixFilePermissions(file(), PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            throw new CliException(ExitCodes.API_ERROR, "cannot write " + file() + ": " + e.getMessage(), e);
        }
    }
}

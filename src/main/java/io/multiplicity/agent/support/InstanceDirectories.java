package io.multiplicity.agent.support;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.multiplicity.host.contract.InstanceSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * What a driver keeps of its instances on the host: one directory per instance under a root,
 * named by the instance's id, with the spec it was last given ({@code spec.json}) and the driver's
 * own record ({@code state.json}). Both files are replaced atomically, so a crash leaves the old
 * or the new file, never half of one. A driver that starts over the same root finds everything
 * it needs to adopt what runs.
 *
 * @param <R> the driver's record of one instance
 */
public final class InstanceDirectories<R> {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RECORD = "state.json";
    private static final String SPEC = "spec.json";

    private final Path root;
    private final Class<R> recordType;
    private final R none;

    /**
     * @param root       the directory holding one directory per instance
     * @param recordType the driver's record type (a JSON-mapped record)
     * @param none       what {@link #record} answers for an instance without a record
     */
    public InstanceDirectories(Path root, Class<R> recordType, R none) {
        this.root = root;
        this.recordType = recordType;
        this.none = none;
    }

    public Path root() {
        return root;
    }

    /** The instance's directory (which may not exist). */
    public Path of(UUID id) {
        return root.resolve(id.toString());
    }

    /** Whether the driver has a record of the instance. */
    public boolean knows(UUID id) {
        return Files.exists(of(id).resolve(RECORD));
    }

    /** The driver's record of the instance, {@code none} when it has none. */
    public R record(UUID id) {
        Path file = of(id).resolve(RECORD);
        try {
            return Files.exists(file) ? JSON.readValue(file.toFile(), recordType) : none;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void writeRecord(UUID id, R record) {
        writeJson(of(id).resolve(RECORD), record);
    }

    /** The spec the instance was last provisioned with, empty when there is none or it cannot be read. */
    public Optional<InstanceSpec> spec(UUID id) {
        Path file = of(id).resolve(SPEC);
        try {
            return Files.exists(file) ? Optional.of(JSON.readValue(file.toFile(), InstanceSpec.class)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    public void writeSpec(InstanceSpec spec) {
        writeJson(of(spec.id()).resolve(SPEC), spec);
    }

    /** The ids of every instance directory, in order; with {@code recordedOnly} only those holding a record. */
    public List<UUID> ids(boolean recordedOnly) {
        List<UUID> ids = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return ids;
        }
        try (Stream<Path> directories = Files.list(root)) {
            for (Path directory : directories.sorted().toList()) {
                try {
                    UUID id = UUID.fromString(directory.getFileName().toString());
                    if (!recordedOnly || knows(id)) {
                        ids.add(id);
                    }
                } catch (IllegalArgumentException e) {
                    // not an instance's directory
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ids;
    }

    /** Removes the instance's directory and all it holds; nothing when it is gone already. */
    public void delete(UUID id) {
        deleteTree(of(id));
    }

    /** Writes a text file (mode 0644) through a temporary file and an atomic rename. */
    public static void writeText(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(temporary, text);
            Files.setPosixFilePermissions(temporary, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Removes a directory and all it holds; nothing when it is gone already. */
    public static void deleteTree(Path directory) {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes a value as JSON through a temporary file and an atomic rename. */
    public static void writeJson(Path file, Object value) {
        try {
            Files.createDirectories(file.getParent());
            Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
            JSON.writeValue(temporary.toFile(), value);
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package io.multiplicity.agent;

import io.multiplicity.agent.storage.ZfsStorage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * The host's stable identity: the id of its row in the control plane's database, given once at
 * enrolment and kept on the host in two places, a file in the agent's data directory
 * ({@code host-id}) and a ZFS user property of the pool ({@value ZfsStorage#HOST_ID_PROPERTY}). It
 * never comes from the host's name, so renaming the host, a name that does not resolve at boot or
 * a restored database cannot make the control plane take the host's instances for another host's.
 *
 * <p>Where the two places disagree the pool wins (it holds the instances the identity is about) and
 * the file is rewritten; where one is missing it is written from the other.
 */
public final class HostIdentity {

    private static final Logger LOG = Logger.getLogger(HostIdentity.class);
    private static final String FILE = "host-id";

    private final Path file;
    private final ZfsStorage pool;
    /** What {@link #read} found once both places agreed, so that facts stay cheap. */
    private UUID known;

    /**
     * @param dataDirectory the agent's data directory
     * @param pool          the host's storage, or null on a host without a pool
     */
    public HostIdentity(Path dataDirectory, ZfsStorage pool) {
        this.file = dataDirectory.resolve(FILE);
        this.pool = pool;
    }

    /** The host's identity, empty until it is enrolled. */
    public synchronized Optional<UUID> read() {
        if (known != null) {
            return Optional.of(known);
        }
        Optional<UUID> inFile = parse(readFile(), "the file " + file);
        Optional<UUID> inPool = pool == null ? Optional.empty() : parse(readPool(), "the pool " + pool.pool());
        if (inPool.isPresent()) {
            if (!inPool.equals(inFile)) {
                if (inFile.isPresent()) {
                    LOG.warnf("the host's identity in %s (%s) differs from the pool's (%s): the pool's holds",
                            file, inFile.get(), inPool.get());
                }
                writeFile(inPool.get());
            }
            known = inPool.get();
            return inPool;
        }
        if (inFile.isPresent() && pool != null) {
            writePool(inFile.get());
        }
        return inFile;
    }

    /** Keeps {@code id} as the host's identity; refuses a host that has another one already. */
    public synchronized void enroll(UUID id) {
        Optional<UUID> current = read();
        if (current.isPresent() && !current.get().equals(id)) {
            throw new IllegalStateException("this host is already enrolled as " + current.get() + ", not " + id);
        }
        writeFile(id);
        if (pool != null) {
            writePool(id);
        }
        known = null;
    }

    private String readFile() {
        try {
            return Files.exists(file) ? Files.readString(file).strip() : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String readPool() {
        try {
            return pool.hostId().orElse("");
        } catch (RuntimeException e) {
            return "";
        }
    }

    private static Optional<UUID> parse(String value, String where) {
        if (value.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(UUID.fromString(value));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(where + " holds no host identity but '" + value + "'");
        }
    }

    private void writeFile(UUID id) {
        try {
            Files.createDirectories(file.getParent());
            Path temporary = file.resolveSibling(FILE + ".tmp");
            Files.writeString(temporary, id + "\n");
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void writePool(UUID id) {
        try {
            pool.setHostId(id.toString());
        } catch (RuntimeException e) {
            LOG.warnf("cannot record the host's identity in the pool %s: %s", pool.pool(), e.getMessage());
        }
    }
}

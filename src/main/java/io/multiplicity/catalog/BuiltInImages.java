package io.multiplicity.catalog;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.multiplicity.common.Clock;
import io.multiplicity.host.HostDrivers;
import io.multiplicity.host.HostReachable;
import io.multiplicity.host.contract.ImageStore;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Puts the built-in images into the catalog at startup, as the provider's public images:
 *
 * <ul>
 *   <li>those the host agent builds itself on first run (busybox, tiny-linux, mvm's test guest) or
 *       imports once built (the Debian VM image, listed as {@code debian} of kind {@code vm}),
 *       registered under the names the agent gives (their dataset names unless told), their SHA-256
 *       that of their replication stream;
 *   <li>root file system archives made by {@code scripts/build-image.sh} (debian-12) and left in
 *       {@code <data>/images/built-in/} with a JSON description beside each, imported through the
 *       same checks as an upload.
 * </ul>
 */
@ApplicationScoped
public class BuiltInImages {

    private static final Logger LOG = Logger.getLogger(BuiltInImages.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    HostDrivers hosts;

    @Inject
    ImageImports imports;

    @Inject
    ImageCatalog catalog;

    @Inject
    EntityManager em;

    @ConfigProperty(name = "multiplicity.data-dir", defaultValue = "data")
    Path dataDir;

    /**
     * The description of a built archive.
     *
     * @param archive file name of the archive beside the description
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Description(String name, String version, String kind, String os, String description,
                              List<String> channels, String archive) {
    }

    /** An archive to import. */
    public record Archive(String name, String version, String kind, String os, String description,
                          List<String> channels, Path file) {
    }

    void onStart(@Observes @Priority(20) StartupEvent event) {
        if (hosts.imageHost().isEmpty()) {
            return;
        }
        registerBuiltIns();
        // Big archives take a while to unpack: the panel serves meanwhile, the image appears when done.
        Thread.ofVirtual().name("built-in-images").start(this::importArchives);
    }

    /** A remote host that stores the catalog's images became reachable: its built-in images join the catalog. */
    void onHostReachable(@Observes HostReachable reachable) {
        if (hosts.imageHostId().filter(reachable.hostId()::equals).isPresent()) {
            registerBuiltIns();
        }
    }

    private void registerBuiltIns() {
        ImageStore store;
        try {
            store = hosts.imageHost().get().images();
        } catch (UnsupportedOperationException e) {
            return;
        }
        for (ImageStore.BuiltIn builtIn : store.builtIns()) {
            try {
                register(store, builtIn);
            } catch (RuntimeException e) {
                LOG.errorf(e, "could not register the built-in image %s", builtIn.key());
            }
        }
    }

    private void register(ImageStore store, ImageStore.BuiltIn builtIn) {
        String label = Integer.toString(builtIn.version());
        if (QuarkusTransaction.requiringNew().call(() -> known(builtIn))) {
            return;
        }
        String sha256 = store.digest(builtIn.key(), builtIn.version());
        boolean registered = QuarkusTransaction.requiringNew().call(() -> {
            // Every replica that reaches the image host registers its built-ins when it starts or the
            // host comes back: they take turns per image, and the later one finds the version there.
            em.createNativeQuery("select pg_advisory_xact_lock(hashtext(?1))")
                    .setParameter(1, "built-in image " + builtIn.key()).getSingleResult();
            if (known(builtIn)) {
                return false;
            }
            Image image = Image.find("storageKey", builtIn.key()).firstResult();
            if (image == null) {
                image = ImageCatalog.providerImage(builtIn.catalogName(), builtIn.kind(), builtIn.os(), builtIn.description(),
                        builtIn.boot() == null ? "none" : builtIn.boot().boot(),
                        builtIn.boot() != null && builtIn.boot().graphics(), builtIn.key());
                em.persist(image);
            }
            ImageVersion version = new ImageVersion();
            version.id = UUID.randomUUID();
            version.imageId = image.id;
            version.version = label;
            version.seq = builtIn.version();
            version.format = "built-in";
            version.sizeBytes = builtIn.bytes();
            version.unpackedBytes = builtIn.bytes();
            version.sha256 = sha256;
            version.source = "built on this host";
            version.createdBy = "system";
            version.createdAt = Clock.now();
            em.persist(version);
            em.flush();
            catalog.pointLatest(image, version);
            return true;
        });
        if (registered) {
            LOG.infof("built-in image %s@%s in the catalog", builtIn.key(), label);
        }
    }

    private boolean known(ImageStore.BuiltIn builtIn) {
        return em.createQuery("select count(v) from ImageVersion v, Image i where v.imageId = i.id and i.storageKey = :key"
                        + " and v.seq = :seq and v.deletedAt is null", Long.class)
                .setParameter("key", builtIn.key()).setParameter("seq", builtIn.version()).getSingleResult() > 0;
    }

    /** Imports the archives left by the image build command that are not in the catalog yet. */
    private void importArchives() {
        Path directory = dataDir.resolve("images").resolve("built-in");
        if (!Files.isDirectory(directory)) {
            return;
        }
        try (DirectoryStream<Path> descriptions = Files.newDirectoryStream(directory, "*.json")) {
            for (Path path : descriptions) {
                try {
                    Description description = JSON.readValue(path.toFile(), Description.class);
                    Path file = directory.resolve(Path.of(description.archive()).getFileName());
                    LOG.infof("importing the built-in image %s@%s from %s", description.name(), description.version(), file);
                    imports.importBuiltIn(new Archive(description.name(), description.version(), description.kind(),
                            description.os(), description.description(),
                            description.channels() == null ? List.of() : description.channels(), file));
                } catch (IOException | RuntimeException e) {
                    LOG.errorf(e, "could not import the built-in image described in %s", path);
                }
            }
        } catch (IOException e) {
            LOG.errorf(e, "could not read %s", directory);
        }
    }
}

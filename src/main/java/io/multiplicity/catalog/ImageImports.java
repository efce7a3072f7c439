package io.multiplicity.catalog;

import io.micrometer.core.instrument.MeterRegistry;
import io.multiplicity.audit.AuditService;
import io.multiplicity.common.ApiException;
import io.multiplicity.common.Clock;
import io.multiplicity.event.EventService;
import io.multiplicity.host.HostDrivers;
import io.multiplicity.host.StorageFloor;
import io.multiplicity.host.contract.ArchiveFormat;
import io.multiplicity.host.contract.HostDriver;
import io.multiplicity.host.contract.ImageRefused;
import io.multiplicity.host.contract.ImageStore;
import io.multiplicity.identity.Caller;
import io.multiplicity.operation.Operation;
import io.multiplicity.operation.OperationCancelledException;
import io.multiplicity.operation.OperationContext;
import io.multiplicity.operation.OperationService;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Imports of image versions, uploaded through the API or downloaded from an allowed URL. The
 * bytes go to a file under the data directory while their size is counted against the limit and
 * their SHA-256 computed; then the host's image store checks and unpacks them. Whatever is
 * refused leaves nothing behind: the file is deleted, the image's dataset is as it was, and no
 * version is recorded.
 */
@ApplicationScoped
public class ImageImports {

    private static final Logger LOG = Logger.getLogger(ImageImports.class);
    public static final Set<String> JAIL_FORMATS = Set.of("tar", "tar.gz", "tar.xz", "tar.zst");
    public static final Set<String> VM_FORMATS = Set.of("raw", "qcow2", "kernel");

    @Inject
    ImageCatalog catalog;

    @Inject
    ImagesConfig config;

    @Inject
    HostDrivers hosts;

    @Inject
    ImageCopies copies;

    @Inject
    EntityManager em;

    @Inject
    AuditService audit;

    @Inject
    EventService events;

    @Inject
    Caller caller;

    @Inject
    io.multiplicity.accounting.Quotas quotas;

    @Inject
    StorageFloor storageFloor;

    @Inject
    io.multiplicity.common.RateLimitsConfig rateLimits;

    @ConfigProperty(name = "multiplicity.data-dir", defaultValue = "data")
    Path dataDir;

    @Inject
    MeterRegistry meters;

    @Inject
    OperationService operations;

    /** Image bytes received, by source ({@code upload}, {@code url}). */
    public static final String IMPORT_BYTES = "multiplicity.image.import.bytes";

    private final Map<UUID, ReentrantLock> locks = new ConcurrentHashMap<>();
    private final io.multiplicity.common.KeyedSlots<UUID> importsByTenant = new io.multiplicity.common.KeyedSlots<>();
    private volatile java.util.concurrent.Semaphore running;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20))
            .followRedirects(HttpClient.Redirect.NEVER).build();

    /**
     * What a new version is and where it came from.
     *
     * @param version  its label
     * @param format   see {@link #JAIL_FORMATS} and {@link #VM_FORMATS}; jails may leave it out
     * @param sha256   expected SHA-256 of the bytes, or null to record what arrived
     * @param size     expected size in bytes, or null
     * @param channels channels to point at it besides latest
     * @param cmdline  kernel command line (kernel-booted VM images)
     */
    public record NewVersion(String version, String format, String sha256, Long size, List<String> channels,
                             String cmdline) {
    }

    /** The received bytes: file, size, SHA-256. */
    private record Received(Path file, long size, String sha256) {
    }

    public ImageVersion upload(UUID imageId, NewVersion request, InputStream body, Long contentLength) {
        Image image = prepare(imageId, request);
        Runnable release = permit(image.tenantId);
        try {
            return upload(image, request, body, contentLength);
        } finally {
            release.run();
        }
    }

    private ImageVersion upload(Image image, NewVersion request, InputStream body, Long contentLength) {
        long max = config.maxUploadBytes();
        if (contentLength != null && contentLength > max) {
            throw tooLarge(max);
        }
        if (request.size() != null && request.size() > max) {
            throw tooLarge(max);
        }
        Long declared = request.size() != null ? request.size() : contentLength;
        if (declared != null) {
            admitIncoming(image, declared);
        }
        Received received = receive(body, max, "upload");
        try {
            long expected = request.size() != null ? request.size() : contentLength != null ? contentLength : -1;
            if (expected >= 0 && received.size() != expected) {
                throw ApiException.badRequest("upload_truncated", "the upload is truncated: " + received.size()
                        + " of " + expected + " bytes arrived", Map.of("received", received.size(), "expected", expected));
            }
            return importReceived(image, request, received, "upload");
        } catch (ApiException e) {
            refused(image, request, e);
            throw e;
        } finally {
            delete(received.file());
        }
    }

    /** The operation kind of a URL import. */
    public static final String IMPORT_URL = "image.import";
    /** How often a URL import reports its bytes: every this many bytes, or {@link #PROGRESS_EVERY}. */
    private static final long PROGRESS_BYTES = 4L << 20;
    private static final Duration PROGRESS_EVERY = Duration.ofMillis(500);
    /** How often a running URL import looks for a cancel request. */
    private static final Duration CANCEL_CHECK = Duration.ofMillis(500);
    private static final java.util.concurrent.ScheduledExecutorService CANCEL_WATCH =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "image-import-cancel-watch");
                thread.setDaemon(true);
                return thread;
            });

    /**
     * Checks a URL import (the version, the format, the allow-list: bad input gets its 4xx and
     * changes nothing) and submits it as an operation, which downloads and imports.
     */
    public Operation submitUrlImport(UUID imageId, ImportUrlRequest request) {
        NewVersion version = urlVersion(request);
        Image image = prepare(imageId, version);
        allowed(request.url());
        Map<String, Object> input = new LinkedHashMap<>();
        input.put("url", request.url());
        input.put("version", version.version());
        input.put("format", version.format());
        input.put("sha256", version.sha256());
        input.put("channels", version.channels());
        input.put("actor", caller.get().username());
        return QuarkusTransaction.requiringNew().call(() ->
                operations.submit(image.tenantId, IMPORT_URL, "image", image.id, input));
    }

    /** Runs a submitted URL import: downloads with progress (bytes fetched of the total), checks, imports. */
    @SuppressWarnings("unchecked")
    void runUrlImport(OperationContext context) {
        Map<String, Object> input = context.input();
        ImportUrlRequest request = new ImportUrlRequest((String) input.get("url"), (String) input.get("version"),
                (String) input.get("format"), (String) input.get("sha256"), (List<String>) input.get("channels"));
        NewVersion version = urlVersion(request);
        Image image = prepare(context.targetId(), version, false);
        URI uri = allowed(request.url());
        Runnable release = permit(image.tenantId);
        try {
            download(image, version, uri, context, (String) input.get("actor"));
        } finally {
            release.run();
        }
    }

    private static NewVersion urlVersion(ImportUrlRequest request) {
        return new NewVersion(request.version(), request.format(), request.sha256().toLowerCase(), null,
                request.channels() == null ? List.of() : request.channels(), null);
    }

    private ImageVersion download(Image image, NewVersion version, URI uri, OperationContext context, String actor) {
        long max = config.maxUploadBytes();
        HttpResponse<InputStream> response;
        try {
            response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(30)).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw ApiException.badRequest("download_failed", "cannot download " + uri + ": " + e.getMessage(),
                    Map.of("field", "url"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        if (response.statusCode() != 200) {
            close(response.body());
            throw ApiException.badRequest("download_failed", "downloading " + uri + " answered HTTP "
                    + response.statusCode(), Map.of("field", "url", "status", response.statusCode()));
        }
        long declared = response.headers().firstValueAsLong("Content-Length").orElse(-1);
        if (declared > max) {
            close(response.body());
            throw tooLarge(max);
        }
        if (declared >= 0) {
            try {
                admitIncoming(image, declared);
            } catch (ApiException e) {
                close(response.body());
                throw e;
            }
        }
        Progress progress = new Progress(context, declared);
        progress.report(0);
        // A cancel request is noticed even while the server sends nothing: the body is closed under
        // the blocked read, and the operation ends cancelled.
        java.util.concurrent.atomic.AtomicBoolean cancelled = new java.util.concurrent.atomic.AtomicBoolean();
        InputStream body = response.body();
        java.util.concurrent.ScheduledFuture<?> watch = CANCEL_WATCH.scheduleWithFixedDelay(() -> {
            try {
                context.checkCancelled();
            } catch (OperationCancelledException e) {
                cancelled.set(true);
                close(body);
            } catch (RuntimeException e) {
                LOG.debugf("could not check import %s for a cancel: %s", context.operationId(), e.getMessage());
            }
        }, CANCEL_CHECK.toMillis(), CANCEL_CHECK.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        Received received;
        try {
            received = receive(body, max, "download", progress);
        } catch (ApiException e) {
            if (cancelled.get()) {
                throw new OperationCancelledException();
            }
            throw e;
        } finally {
            watch.cancel(false);
        }
        if (cancelled.get()) {
            delete(received.file());
            throw new OperationCancelledException();
        }
        try {
            if (declared >= 0 && received.size() != declared) {
                throw ApiException.badRequest("download_truncated", "the download is truncated: " + received.size()
                        + " of " + declared + " bytes arrived", Map.of("received", received.size(), "expected", declared));
            }
            progress.done(received.size());
            if (version.sha256() != null && !version.sha256().equalsIgnoreCase(received.sha256())) {
                throw new ApiException(422, "checksum_mismatch", "the SHA-256 of what arrived is " + received.sha256()
                        + ", not the " + version.sha256() + " expected",
                        Map.of("expected", version.sha256(), "actual", received.sha256()));
            }
            return store(image, version, received, uri.toString(), actor);
        } catch (ApiException e) {
            refused(image, version, e);
            throw e;
        } finally {
            delete(received.file());
        }
    }

    /**
     * A URL import's progress on its operation: bytes fetched of the Content-Length (percent up to 90;
     * the import into the store is the rest), at most every 4 MiB or half second.
     */
    private static final class Progress {
        private final OperationContext context;
        private final long total;
        private long reported = -1;
        private long reportedAt;

        Progress(OperationContext context, long total) {
            this.context = context;
            this.total = total;
        }

        void fetched(long bytes) {
            long now = System.nanoTime();
            if (bytes - reported >= PROGRESS_BYTES || now - reportedAt >= PROGRESS_EVERY.toNanos()) {
                report(bytes);
            }
        }

        void report(long bytes) {
            reported = bytes;
            reportedAt = System.nanoTime();
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("bytesFetched", bytes);
            detail.put("bytesTotal", total >= 0 ? total : null);
            context.progress(total > 0 ? (int) Math.min(90, bytes * 90 / total) : 0, detail);
        }

        void done(long bytes) {
            report(bytes);
        }
    }

    /**
     * Imports an archive the platform built itself (a built-in image) as a new version of the
     * provider's image {@code name}, creating the image if needed. Runs without a caller.
     */
    public void importBuiltIn(BuiltInImages.Archive archive) {
        Image image = QuarkusTransaction.requiringNew().call(() -> {
            Image existing = Image.find("name = ?1 and kind = ?2 and tenantId is null and deletedAt is null",
                    archive.name(), archive.kind()).firstResult();
            if (existing != null) {
                return existing;
            }
            Image created = ImageCatalog.providerImage(archive.name(), archive.kind(), archive.os(), archive.description(),
                    "jail".equals(archive.kind()) ? "none" : "kernel", false, null);
            em.persist(created);
            return created;
        });
        boolean present = QuarkusTransaction.requiringNew().call(() -> ImageVersion.count(
                "imageId = ?1 and version = ?2 and deletedAt is null", image.id, archive.version()) > 0);
        if (present) {
            return;
        }
        String sha256;
        long size;
        try (InputStream in = Files.newInputStream(archive.file())) {
            MessageDigest digest = sha256();
            byte[] buffer = new byte[1 << 16];
            int read;
            size = 0;
            while ((read = in.read(buffer)) > 0) {
                digest.update(buffer, 0, read);
                size += read;
            }
            sha256 = HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        NewVersion version = new NewVersion(archive.version(), null, sha256, size, archive.channels(), null);
        store(image, version, new Received(archive.file(), size, sha256), "built-in", "system");
    }

    /**
     * A permit to import for {@code tenant} (null: the platform's own images), or 429 while as many
     * imports as allowed run on this replica, or as many of the tenant's: one tenant cannot hold
     * every slot.
     */
    private Runnable permit(UUID tenant) {
        java.util.concurrent.Semaphore permits = running;
        if (permits == null) {
            synchronized (this) {
                if (running == null) {
                    running = new java.util.concurrent.Semaphore(config.maxConcurrentImports());
                }
                permits = running;
            }
        }
        int perTenant = rateLimits.importsPerTenant();
        Runnable tenantSlot = tenant == null ? () -> { } : importsByTenant.tryTake(tenant, perTenant);
        if (tenantSlot == null) {
            throw ApiException.tooManyRequests("too_many_imports", perTenant
                    + " of your tenant's image imports are running; try again when one has finished", 30,
                    Map.of("limit", perTenant, "scope", "tenant"));
        }
        Runnable releaseTenant = tenantSlot;
        if (!permits.tryAcquire()) {
            releaseTenant.run();
            throw ApiException.tooManyRequests("too_many_imports", config.maxConcurrentImports()
                    + " image imports are running; try again when one has finished", 30,
                    Map.of("limit", config.maxConcurrentImports(), "scope", "replica"));
        }
        java.util.concurrent.Semaphore taken = permits;
        return () -> {
            taken.release();
            releaseTenant.run();
        };
    }

    private Image prepare(UUID imageId, NewVersion request) {
        return prepare(imageId, request, true);
    }

    /**
     * Checks a new version against the image; {@code asCaller}: the caller must be allowed to change
     * the image (false in an operation the caller submitted after that check).
     */
    private Image prepare(UUID imageId, NewVersion request, boolean asCaller) {
        if (request.version() == null || !ImageCatalog.VERSION.matcher(request.version()).matches()) {
            throw ApiException.badRequest("validation_failed",
                    "version must be a label of letters, digits, '.', '_', '+', '~' or '-', e.g. 1.36.1",
                    Map.of("field", "version"));
        }
        if (request.sha256() != null && !request.sha256().matches("[0-9a-fA-F]{64}")) {
            throw ApiException.badRequest("validation_failed", "sha256 must be 64 hex digits", Map.of("field", "sha256"));
        }
        for (String channel : request.channels()) {
            if (!ImageCatalog.CHANNEL.matcher(channel).matches()) {
                throw ApiException.badRequest("validation_failed", "channel " + channel
                        + " is not lower-case words separated by '/'", Map.of("field", "channels"));
            }
        }
        if (request.cmdline() != null && (request.cmdline().length() > 1000 || request.cmdline().contains("\n"))) {
            throw ApiException.badRequest("validation_failed", "cmdline is one line of at most 1000 characters",
                    Map.of("field", "cmdline"));
        }
        return QuarkusTransaction.requiringNew().call(() -> {
            Image image = asCaller ? catalog.manageable(imageId, false) : em.find(Image.class, imageId);
            if (image == null || image.deletedAt != null) {
                throw ApiException.notFound("image", imageId);
            }
            String format = request.format();
            if ("jail".equals(image.kind) ? format != null && !JAIL_FORMATS.contains(format)
                    : format == null || !VM_FORMATS.contains(format)) {
                throw ApiException.badRequest("validation_failed", "format of a " + image.kind + " image is one of "
                        + ("jail".equals(image.kind) ? JAIL_FORMATS : VM_FORMATS), Map.of("field", "format"));
            }
            if (ImageVersion.count("imageId = ?1 and version = ?2 and deletedAt is null", image.id, request.version()) > 0) {
                throw ApiException.conflict("version_taken", "image " + image.name + " has a version "
                        + request.version() + " already", Map.of("field", "version"));
            }
            long versions = ImageVersion.count("imageId = ?1 and deletedAt is null", image.id);
            if (versions >= config.maxVersions()) {
                throw ApiException.conflict("too_many_versions", "image " + image.name + " has " + versions
                        + " versions, the most an image keeps; delete old ones first",
                        Map.of("limit", config.maxVersions()));
            }
            em.detach(image);
            return image;
        });
    }

    private ImageVersion importReceived(Image image, NewVersion request, Received received, String source) {
        if (request.sha256() != null && !request.sha256().equalsIgnoreCase(received.sha256())) {
            throw new ApiException(422, "checksum_mismatch", "the SHA-256 of what arrived is " + received.sha256()
                    + ", not the " + request.sha256().toLowerCase() + " expected",
                    Map.of("expected", request.sha256().toLowerCase(), "actual", received.sha256()));
        }
        return store(image, request, received, source, caller.get().username());
    }

    private ImageVersion store(Image image, NewVersion request, Received received, String source, String actor) {
        ImageStore store = store();
        ReentrantLock lock = locks.computeIfAbsent(image.id, id -> new ReentrantLock());
        lock.lock();
        try {
            int seq = QuarkusTransaction.requiringNew().call(() -> {
                Integer max = em.createQuery("select max(v.seq) from ImageVersion v where v.imageId = :image",
                        Integer.class).setParameter("image", image.id).getSingleResult();
                return max == null ? 1 : max + 1;
            });
            // A version destroyed in the catalog may have left its snapshot behind (a host error).
            while (store.has(image.storageKey, seq)) {
                seq++;
            }
            UnpackBound bound = unpackBound(image, received);
            ImageStore.Limits limits = new ImageStore.Limits(bound.bytes(), config.maxEntries(),
                    config.allowDeviceNodes());
            String format = request.format();
            ImageStore.Imported imported;
            try {
                if ("jail".equals(image.kind)) {
                    format = detected(received.file(), format);
                    imported = store.importRootfs(image.storageKey, seq, received.file(), limits);
                } else if ("kernel".equals(format)) {
                    imported = store.importKernel(image.storageKey, seq, received.file(),
                            new ImageStore.VmBoot("kernel", image.graphics, request.cmdline()), limits);
                } else {
                    imported = store.importDisk(image.storageKey, seq, received.file(), format,
                            new ImageStore.VmBoot("firmware", image.graphics, null), limits);
                }
            } catch (ImageRefused e) {
                if (e.tooLarge() && bound.refusal() != null) {
                    throw bound.refusal().get();
                }
                Map<String, Object> details = new LinkedHashMap<>();
                details.put("reason", e.code());
                throw new ApiException(e.tooLarge() ? 413 : 422,
                        "image_refused", "the image is refused: " + e.getMessage(), details);
            }
            int version = seq;
            String recordedFormat = format;
            try {
                return QuarkusTransaction.requiringNew().call(() -> record(image, request, received, source, actor,
                        version, recordedFormat, imported));
            } catch (RuntimeException e) {
                try {
                    store.destroyVersion(image.storageKey, version);
                } catch (RuntimeException cleanup) {
                    LOG.errorf(cleanup, "could not destroy version %d of image %s after a failed import", version,
                            image.storageKey);
                }
                throw e;
            }
        } finally {
            lock.unlock();
        }
    }

    private ImageVersion record(Image image, NewVersion request, Received received, String source, String actor,
                                int seq, String format, ImageStore.Imported imported) {
        if (image.tenantId != null) {
            // Locks the tenant first (the lock order everywhere), so concurrent imports cannot both take the last room.
            quotas.admitImageBytes(image.tenantId, imported.unpackedBytes());
        }
        if (ImageVersion.count("imageId = ?1 and version = ?2 and deletedAt is null", image.id, request.version()) > 0) {
            throw ApiException.conflict("version_taken", "image " + image.name + " has a version "
                    + request.version() + " already", Map.of("field", "version"));
        }
        // The image row is locked: a delete of the image waits, or this import sees it deleted.
        Image managed = em.find(Image.class, image.id, jakarta.persistence.LockModeType.PESSIMISTIC_WRITE);
        if (managed == null || managed.deletedAt != null) {
            throw ApiException.conflict("image_deleted", "image " + image.name + " was deleted during the import", null);
        }
        ImageVersion version = new ImageVersion();
        version.id = UUID.randomUUID();
        version.imageId = image.id;
        version.version = request.version();
        version.seq = seq;
        version.format = format;
        version.sizeBytes = received.size();
        version.unpackedBytes = imported.unpackedBytes();
        version.sha256 = received.sha256();
        version.source = source;
        version.createdBy = actor;
        version.createdAt = Clock.now();
        em.persist(version);
        em.flush();
        hosts.imageHostId().ifPresent(host -> copies.record(version.id, host));
        managed.updatedAt = version.createdAt;
        if ("vm".equals(managed.kind)) {
            // How it boots follows from what was imported.
            managed.boot = "kernel".equals(format) ? "kernel" : "firmware";
        }
        catalog.pointLatest(managed, version);
        for (String channel : request.channels()) {
            if (channel.equals(ImageCatalog.LATEST)) {
                continue;
            }
            catalog.point(image.id, channel, version.id, actor);
        }
        if (!"system".equals(actor)) {
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("version", version.version);
            details.put("sha256", version.sha256);
            details.put("bytes", version.sizeBytes);
            details.put("source", source);
            audited(image, actor, "succeeded", details);
        }
        events.record(image.tenantId, "image.version.added", "image", image.id,
                Map.of("name", image.name, "version", version.version));
        return version;
    }

    /**
     * Audits an import: as the caller of the request, or, in an operation (no request), as the user
     * who submitted it ({@code actor}).
     */
    private void audited(Image image, String actor, String outcome, Map<String, Object> details) {
        if (io.quarkus.arc.Arc.container().requestContext().isActive()) {
            audit.record(image.tenantId, "image.import", "image", image.id, outcome, details);
        } else {
            audit.recordAutomatic(image.tenantId, actor == null ? "image import" : actor, "image.import", "image",
                    image.id, outcome, details);
        }
    }

    /** Audits a refused import (in its own transaction: the refusal changes nothing else). */
    private void refused(Image image, NewVersion request, ApiException e) {
        try {
            QuarkusTransaction.requiringNew().run(() -> {
                Map<String, Object> details = new LinkedHashMap<>();
                details.put("version", request.version());
                details.put("error", e.code());
                details.put("message", e.getMessage());
                audited(image, null, "refused", details);
            });
        } catch (RuntimeException auditFailure) {
            LOG.warnf(auditFailure, "could not audit a refused import of image %s", image.id);
        }
    }

    private static String detected(Path file, String declared) {
        String actual = ArchiveFormat.of(file).label();
        if (declared != null && !declared.equals(actual)) {
            throw new ApiException(422, "image_refused", "the file is " + actual + ", not " + declared,
                    Map.of("reason", "format_mismatch"));
        }
        return actual;
    }

    /**
     * Refuses, before anything is received, an import the tenant's image quota or the image pool's
     * free space above its reserve cannot take at its declared size (what arrives may unpack to more:
     * {@link #unpackBound} holds the import to what is left).
     */
    private void admitIncoming(Image image, long declaredBytes) {
        if (image.tenantId != null) {
            QuarkusTransaction.requiringNew().run(() -> quotas.admitImageBytes(image.tenantId, declaredBytes));
        }
        storageFloor.room(imageHost()).ifPresent(room ->
                storageFloor.require(room, declaredBytes, "the image store", "an image of " + declaredBytes + " bytes"));
    }

    /**
     * The most an import may unpack to: the catalog's limit, the image pool's room above its
     * reserve, and the room left in the tenant's image quota, whichever is least; with the refusal
     * that applies when the import reaches it (null: the catalog's own 413).
     */
    private record UnpackBound(long bytes, java.util.function.Supplier<ApiException> refusal) {
    }

    private UnpackBound unpackBound(Image image, Received received) {
        UnpackBound bound = new UnpackBound(config.maxUnpackedBytes(), null);
        java.util.Optional<StorageFloor.Room> room = storageFloor.room(imageHost());
        if (room.isPresent()) {
            StorageFloor.Room pool = room.get();
            // The archive itself must fit before it is unpacked, whatever it unpacks to.
            storageFloor.require(pool, received.size(), "the image store", "an image of " + received.size() + " bytes");
            if (pool.bytes() < bound.bytes()) {
                bound = new UnpackBound(pool.bytes(), () -> storageFloor.shortage(pool, pool.bytes() + 1,
                        "the image store", "what this image unpacks to (more than " + pool.bytes() + " bytes)"));
            }
        }
        if (image.tenantId != null) {
            // imports run as operations too, outside any request: the reads get a transaction of their own
            Long limit = QuarkusTransaction.requiringNew().call(() -> quotas.limits(image.tenantId).imageMiB());
            if (limit != null) {
                long held = QuarkusTransaction.requiringNew().call(() -> quotas.imageBytes(image.tenantId));
                long left = Math.max(0, (limit << 20) - held);
                if (left < bound.bytes()) {
                    bound = new UnpackBound(left,
                            () -> io.multiplicity.accounting.Quotas.imageQuotaExceeded(limit, held, left + 1));
                }
            }
        }
        return bound;
    }

    private HostDriver imageHost() {
        return hosts.imageHost().orElseThrow(() -> new ApiException(503, "no_image_store",
                "no host agent stores images on this installation", null));
    }

    private ImageStore store() {
        HostDriver host = imageHost();
        try {
            return host.images();
        } catch (UnsupportedOperationException e) {
            throw new ApiException(503, "no_image_store", "the host stores no images: " + e.getMessage(), null);
        }
    }

    /** Copies the stream to a new file under the data directory, counting and hashing; never more than {@code max}. */
    private Received receive(InputStream body, long max, String what) {
        return receive(body, max, what, null);
    }

    private Received receive(InputStream body, long max, String what, Progress progress) {
        Path directory = dataDir.resolve("images").resolve("incoming");
        Path file;
        try {
            Files.createDirectories(directory);
            file = Files.createTempFile(directory, "import-", ".part");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        MessageDigest digest = sha256();
        long size = 0;
        try (InputStream in = body; OutputStream out = Files.newOutputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            int read;
            while ((read = in.read(buffer)) > 0) {
                size += read;
                if (size > max) {
                    throw tooLarge(max);
                }
                digest.update(buffer, 0, read);
                out.write(buffer, 0, read);
                if (progress != null) {
                    progress.fetched(size);
                }
            }
        } catch (IOException e) {
            delete(file);
            throw ApiException.badRequest(what + "_truncated", "the " + what + " broke off after " + size + " bytes: "
                    + e.getMessage(), Map.of("received", size));
        } catch (RuntimeException e) {
            delete(file);
            throw e;
        } finally {
            meters.counter(IMPORT_BYTES, "source", "download".equals(what) ? "url" : what).increment(size);
        }
        return new Received(file, size, HexFormat.of().formatHex(digest.digest()));
    }

    private URI allowed(String url) {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("validation_failed", "not a URL: " + url, Map.of("field", "url"));
        }
        if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme())) {
            throw ApiException.badRequest("validation_failed", "only http and https URLs are imported",
                    Map.of("field", "url"));
        }
        List<String> allowList = config.urlAllowList().orElse(List.of());
        URI target = uri.normalize();
        boolean ok = uri.getRawUserInfo() == null && target.getRawPath() != null && !target.getRawPath().contains("..")
                && allowList.stream().anyMatch(prefix -> within(target, prefix));
        if (!ok) {
            throw new ApiException(403, "url_not_allowed", "images are imported only from URLs the admin allows"
                    + (allowList.isEmpty() ? "; none are allowed on this installation" : ": " + allowList),
                    Map.of("field", "url", "allowed", new ArrayList<>(allowList)));
        }
        return uri;
    }

    /** Same scheme, host and port as the allowed prefix, and a path beneath its path. */
    private static boolean within(URI target, String prefix) {
        URI allowed;
        try {
            allowed = URI.create(prefix.strip()).normalize();
        } catch (IllegalArgumentException e) {
            return false;
        }
        String path = allowed.getRawPath() == null || allowed.getRawPath().isEmpty() ? "/" : allowed.getRawPath();
        return allowed.getScheme() != null && allowed.getScheme().equalsIgnoreCase(target.getScheme())
                && allowed.getHost() != null && allowed.getHost().equalsIgnoreCase(target.getHost())
                && allowed.getPort() == target.getPort()
                && (target.getRawPath().equals(path) || target.getRawPath().startsWith(path.endsWith("/") ? path : path + "/"));
    }

    private static ApiException tooLarge(long max) {
        return new ApiException(413, "too_large", "an image may be at most " + max + " bytes", Map.of("limit", max));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void close(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // nothing to keep
        }
    }

    private static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warnf("could not delete %s: %s", file, e.getMessage());
        }
    }
}

package io.multiplicity.catalog;

import io.multiplicity.accounting.Quotas;
import io.multiplicity.audit.AuditService;
import io.multiplicity.common.ApiException;
import io.multiplicity.common.Clock;
import io.multiplicity.common.Cursors;
import io.multiplicity.common.Page;
import io.multiplicity.event.EventService;
import io.multiplicity.identity.Caller;
import io.multiplicity.instance.Instance;
import io.multiplicity.tenant.Tenant;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.regex.Pattern;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * The image catalog: who sees which image, channel aliases, shares, and which exact version an
 * image reference names. Imports are in {@link ImageImports}.
 *
 * <p>A tenant sees the provider's public images, its own images and images shared with it;
 * platform admins see all. Tenant admins and members manage their tenant's images; platform
 * admins manage the provider's. An image reference is {@code name} (its {@code latest} channel,
 * else its newest version), {@code name/channel} ({@code debian/12/stable}) or
 * {@code name@version}; a tenant's own image shadows the provider's of the same name, which
 * shadows one shared by another tenant (so a share can never take over a name the tenant uses).
 */
@ApplicationScoped
public class ImageCatalog {

    public static final String LATEST = "latest";
    public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
    public static final Pattern CHANNEL = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}(/[a-z0-9][a-z0-9._-]{0,62}){0,3}");
    public static final Pattern VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+~-]{0,63}");

    @Inject
    EntityManager em;

    @Inject
    Caller caller;

    @Inject
    AuditService audit;

    @Inject
    EventService events;

    @Inject
    Quotas quotas;

    /** The exact version an image reference resolved to. */
    public record Resolved(Image image, ImageVersion version) {
        /** What the host calls it: its dataset key and snapshot. */
        public String hostReference() {
            return image.storageKey + "@v" + version.seq;
        }
    }

    // ---- reading ------------------------------------------------------------------------------

    @Transactional(Transactional.TxType.SUPPORTS)
    public Page<Image> list(String kind, String os, String channel, String visibility, String name, Integer limit,
                            String cursor) {
        int size = Cursors.limit(limit);
        Cursors.Position after = Cursors.decode(cursor);
        StringBuilder query = new StringBuilder("from Image i where i.deletedAt is null");
        Map<String, Object> parameters = new LinkedHashMap<>();
        UUID scope = caller.tenantScope();
        if (scope != null) {
            query.append(" and (i.visibility = 'public' or i.tenantId = :tenant"
                    + " or exists (select 1 from ImageShare s where s.imageId = i.id and s.tenantId = :tenant"
                    + " and s.acceptedAt is not null))");
            parameters.put("tenant", scope);
        }
        if (kind != null) {
            query.append(" and i.kind = :kind");
            parameters.put("kind", kind);
        }
        if (os != null) {
            query.append(" and i.os = :os");
            parameters.put("os", os);
        }
        if (name != null) {
            query.append(" and i.name = :name");
            parameters.put("name", name);
        }
        if (visibility != null) {
            if (!List.of("public", "private", "shared").contains(visibility)) {
                throw ApiException.badRequest("validation_failed", "visibility is public, private or shared",
                        Map.of("field", "visibility"));
            }
            query.append(" and i.visibility = :visibility");
            parameters.put("visibility", visibility);
        }
        if (channel != null) {
            query.append(" and exists (select 1 from ImageChannel c where c.imageId = i.id and c.channel = :channel)");
            parameters.put("channel", channel);
        }
        if (after != null) {
            query.append(" and (i.createdAt > :afterTime or (i.createdAt = :afterTime and i.id > :afterId))");
            parameters.put("afterTime", after.createdAt());
            parameters.put("afterId", after.id());
        }
        query.append(" order by i.createdAt, i.id");
        var typed = em.createQuery(query.toString(), Image.class);
        parameters.forEach(typed::setParameter);
        List<Image> rows = typed.setMaxResults(size + 1).getResultList();
        return Page.of(rows, size, image -> image.createdAt, image -> image.id);
    }

    /** An image the caller may see; 404 otherwise, exactly as for an unknown id. */
    @Transactional(Transactional.TxType.SUPPORTS)
    public Image get(UUID id) {
        Image image = em.find(Image.class, id);
        if (image == null || image.deletedAt != null || !visible(image, caller.tenantScope())) {
            throw ApiException.notFound("image", id);
        }
        return image;
    }

    boolean visible(Image image, UUID tenant) {
        if (tenant == null || "public".equals(image.visibility) || tenant.equals(image.tenantId)) {
            return true;
        }
        ImageShare share = em.find(ImageShare.class, new ImageShare.Key(image.id, tenant));
        return share != null && share.acceptedAt != null;
    }

    /** An image the caller may change: its own tenant's, or any for a platform admin. */
    Image manageable(UUID id, boolean lock) {
        Image image = get(id);
        Caller.Principal principal = caller.get();
        if (!principal.isPlatformAdmin() && !principal.tenantId().equals(image.tenantId)) {
            throw ApiException.forbidden("only the image's owner changes it");
        }
        if (lock) {
            em.lock(image, LockModeType.PESSIMISTIC_WRITE);
        }
        return image;
    }

    @Transactional(Transactional.TxType.SUPPORTS)
    public List<ImageVersion> versions(UUID imageId) {
        return em.createQuery("from ImageVersion v where v.imageId = :image and v.deletedAt is null order by v.seq desc",
                ImageVersion.class).setParameter("image", imageId).getResultList();
    }

    @Transactional(Transactional.TxType.SUPPORTS)
    public Map<String, String> channels(UUID imageId) {
        Map<String, String> channels = new TreeMap<>();
        em.createQuery("select c.channel, v.version from ImageChannel c, ImageVersion v where c.imageId = :image"
                        + " and v.id = c.versionId", Object[].class)
                .setParameter("image", imageId).getResultList()
                .forEach(row -> channels.put((String) row[0], (String) row[1]));
        return channels;
    }

    @Transactional(Transactional.TxType.SUPPORTS)
    public List<String> shares(UUID imageId) {
        return em.createQuery("select t.slug from ImageShare s, Tenant t where s.imageId = :image and t.id = s.tenantId"
                + " and s.acceptedAt is not null order by t.slug", String.class).setParameter("image", imageId).getResultList();
    }

    /** Live instances per version of an image. */
    @Transactional(Transactional.TxType.SUPPORTS)
    public List<Instance> instances(UUID imageId) {
        return em.createQuery("select i from Instance i, ImageVersion v where i.imageVersionId = v.id"
                + " and v.imageId = :image and i.deletedAt is null order by i.createdAt", Instance.class)
                .setParameter("image", imageId).getResultList();
    }

    // ---- changing -----------------------------------------------------------------------------

    /** Creates an image without versions; versions are uploaded or imported next. */
    @Transactional
    public Image create(CreateImageRequest request) {
        Caller.Principal principal = caller.get();
        UUID owner;
        if (request.tenant() != null) {
            if (!principal.isPlatformAdmin() && !request.tenant().equals(principal.tenantSlug())) {
                throw ApiException.forbidden("only platform admins create images for another tenant");
            }
            owner = Tenant.findBySlug(request.tenant()).map(tenant -> tenant.id)
                    .orElseThrow(() -> ApiException.badRequest("unknown_tenant",
                            "there is no tenant '" + request.tenant() + "'", Map.of("field", "tenant")));
        } else {
            owner = principal.isPlatformAdmin() ? null : caller.requireTenant();
        }
        String visibility = request.visibility() == null ? (owner == null ? "public" : "private") : request.visibility();
        if ("public".equals(visibility) && owner != null) {
            throw ApiException.badRequest("validation_failed",
                    "only the provider's images are public; share a tenant's image with named tenants instead",
                    Map.of("field", "visibility"));
        }
        if ("shared".equals(visibility)) {
            visibility = "private";
        }
        String boot = "jail".equals(request.kind()) ? "none" : request.boot() == null ? "kernel" : request.boot();
        if ("jail".equals(request.kind()) && request.boot() != null && !"none".equals(request.boot())) {
            throw ApiException.badRequest("validation_failed", "jail images do not boot; leave boot out",
                    Map.of("field", "boot"));
        }
        // The provider's names are unique per kind (debian the jail image, debian the VM image); a
        // tenant's names are unique among its own images.
        long taken = owner == null
                ? Image.count("name = ?1 and kind = ?2 and tenantId is null and deletedAt is null", request.name(),
                        request.kind())
                : Image.count("name = ?1 and tenantId = ?2 and deletedAt is null", request.name(), owner);
        if (taken > 0) {
            throw ApiException.conflict("name_taken", "there is already " + (owner == null ? "a " + request.kind()
                    + " image" : "an image") + " named " + request.name(), Map.of("field", "name"));
        }
        if (owner != null) {
            quotas.admitPrivateImage(owner);
        }
        Image image = new Image();
        image.id = UUID.randomUUID();
        image.name = request.name();
        image.tenantId = owner;
        image.kind = request.kind();
        image.os = request.os();
        image.architecture = request.architecture() == null ? "x86_64" : request.architecture();
        image.description = request.description();
        image.visibility = visibility;
        image.boot = boot;
        image.graphics = Boolean.TRUE.equals(request.graphics());
        image.storageKey = image.id.toString();
        image.createdBy = principal.username();
        image.createdAt = Clock.now();
        image.updatedAt = image.createdAt;
        em.persist(image);
        audit.record(owner, "image.create", "image", image.id, "succeeded",
                Map.of("name", image.name, "kind", image.kind, "visibility", image.visibility));
        events.record(owner, "image.created", "image", image.id, Map.of("name", image.name));
        return image;
    }

    /** Description, deprecation and (for the provider's images) whether it is public. */
    @Transactional
    public Image update(UUID id, UpdateImageRequest request) {
        Image image = manageable(id, true);
        if (request.visibility() != null) {
            if (image.tenantId != null && "public".equals(request.visibility())) {
                throw ApiException.badRequest("validation_failed",
                        "only the provider's images are public; share a tenant's image with named tenants instead",
                        Map.of("field", "visibility"));
            }
            if (image.tenantId == null && !caller.get().isPlatformAdmin()) {
                throw ApiException.forbidden("only platform admins publish images");
            }
            image.visibility = "public".equals(request.visibility()) ? "public"
                    : shares(image.id).isEmpty() ? "private" : "shared";
        }
        if (request.description() != null) {
            image.description = request.description();
        }
        if (request.deprecated() != null) {
            image.deprecated = request.deprecated();
        }
        image.updatedAt = Clock.now();
        audit.record(image.tenantId, "image.update", "image", image.id, "succeeded", changes(request));
        events.record(image.tenantId, "image.updated", "image", image.id, Map.of("name", image.name));
        return image;
    }

    private static Map<String, Object> changes(UpdateImageRequest request) {
        Map<String, Object> changes = new LinkedHashMap<>();
        if (request.visibility() != null) {
            changes.put("visibility", request.visibility());
        }
        if (request.deprecated() != null) {
            changes.put("deprecated", request.deprecated());
        }
        if (request.description() != null) {
            changes.put("description", request.description());
        }
        return changes;
    }

    /** Points a channel at a version (creating the channel); new instances of the channel get it. */
    @Transactional
    public Image setChannel(UUID id, String channel, String version) {
        Image image = manageable(id, true);
        ImageVersion target = version(image, version);
        UUID previous = point(image.id, channel, target.id, caller.get().username());
        ImageVersion was = previous == null ? null : em.find(ImageVersion.class, previous);
        String before = was == null ? null : was.version;
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("channel", channel);
        details.put("version", target.version);
        if (before != null) {
            details.put("before", before);
        }
        audit.record(image.tenantId, "image.channel", "image", image.id, "succeeded", details);
        events.record(image.tenantId, "image.updated", "image", image.id, details);
        return image;
    }

    @Transactional
    public void deleteChannel(UUID id, String channel) {
        Image image = manageable(id, true);
        ImageChannel row = em.find(ImageChannel.class, new ImageChannel.Key(image.id, channel));
        if (row == null) {
            throw ApiException.notFound("channel", channel);
        }
        em.remove(row);
        audit.record(image.tenantId, "image.channel.delete", "image", image.id, "succeeded", Map.of("channel", channel));
    }

    /**
     * Offers the image to a tenant: it enters that tenant's catalog only once the tenant accepts
     * ({@link #accept}). The answer is the same whether or not a tenant of that name exists (and
     * the image's {@code sharedWith} lists accepted shares only), so sharing reveals no tenant.
     */
    @Transactional
    public Image share(UUID id, String tenantSlug) {
        Image image = manageable(id, true);
        Optional<Tenant> tenant = Tenant.findBySlug(tenantSlug);
        if (tenant.isPresent() && tenant.get().id.equals(image.tenantId)) {
            throw ApiException.badRequest("validation_failed", "the image belongs to " + tenantSlug + " already",
                    Map.of("field", "tenant"));
        }
        if (tenant.isPresent() && em.find(ImageShare.class, new ImageShare.Key(image.id, tenant.get().id)) == null) {
            ImageShare share = new ImageShare();
            share.imageId = image.id;
            share.tenantId = tenant.get().id;
            share.createdBy = caller.get().username();
            share.createdAt = Clock.now();
            em.persist(share);
            events.record(tenant.get().id, "image.offered", "image", image.id, Map.of("name", image.name));
        }
        audit.record(image.tenantId, "image.share", "image", image.id, "offered", Map.of("tenant", tenantSlug));
        return image;
    }

    /** An image offered to the caller's tenant and not yet accepted. */
    @Schema(requiredProperties = {"image", "name", "kind", "from", "offeredBy", "offeredAt"})
    public record Offer(UUID image, String name, String kind, String os, String from, String offeredBy,
            java.time.Instant offeredAt) {
    }

    /** The offers the caller's tenant has not answered. */
    @Transactional(Transactional.TxType.SUPPORTS)
    public List<Offer> offers() {
        UUID tenant = caller.requireTenant();
        return em.createQuery("select i.id, i.name, i.kind, i.os, t.slug, s.createdBy, s.createdAt from ImageShare s,"
                        + " Image i, Tenant t where s.tenantId = :tenant and s.acceptedAt is null and i.id = s.imageId"
                        + " and i.deletedAt is null and t.id = i.tenantId order by s.createdAt", Object[].class)
                .setParameter("tenant", tenant)
                .getResultList().stream()
                .map(row -> new Offer((UUID) row[0], (String) row[1], (String) row[2], (String) row[3], (String) row[4],
                        (String) row[5], (java.time.Instant) row[6]))
                .toList();
    }

    /** The caller's tenant accepts an offer: the image enters its catalog. */
    @Transactional
    public Image accept(UUID id) {
        UUID tenant = caller.requireTenant();
        ImageShare share = pendingOffer(id, tenant);
        share.acceptedAt = Clock.now();
        Image image = em.find(Image.class, id, jakarta.persistence.LockModeType.PESSIMISTIC_WRITE);
        if (!"public".equals(image.visibility)) {
            image.visibility = "shared";
        }
        image.updatedAt = Clock.now();
        audit.record(tenant, "image.offer.accept", "image", id, "succeeded", Map.of("name", image.name));
        audit.record(image.tenantId, "image.share", "image", id, "accepted", Map.of("tenant", caller.get().tenantSlug()));
        return image;
    }

    /** The caller's tenant declines an offer: it is gone, and the image never enters its catalog. */
    @Transactional
    public void decline(UUID id) {
        UUID tenant = caller.requireTenant();
        ImageShare share = pendingOffer(id, tenant);
        em.remove(share);
        audit.record(tenant, "image.offer.decline", "image", id, "succeeded", Map.of());
    }

    private ImageShare pendingOffer(UUID id, UUID tenant) {
        ImageShare share = em.find(ImageShare.class, new ImageShare.Key(id, tenant),
                jakarta.persistence.LockModeType.PESSIMISTIC_WRITE);
        Image image = share == null ? null : em.find(Image.class, id);
        if (share == null || share.acceptedAt != null || image == null || image.deletedAt != null) {
            throw ApiException.notFound("offer", id);
        }
        return share;
    }

    /**
     * Ends a share. Instances the other tenant already created from the image keep running; it
     * can create no new ones.
     */
    @Transactional
    public Image unshare(UUID id, String tenantSlug) {
        Image image = manageable(id, true);
        Tenant tenant = Tenant.findBySlug(tenantSlug).orElseThrow(() -> ApiException.notFound("share", tenantSlug));
        ImageShare share = em.find(ImageShare.class, new ImageShare.Key(image.id, tenant.id));
        if (share == null) {
            throw ApiException.notFound("share", tenantSlug);
        }
        em.remove(share);
        em.flush();
        if ("shared".equals(image.visibility) && shares(image.id).isEmpty()) {
            image.visibility = "private";
        }
        image.updatedAt = Clock.now();
        audit.record(image.tenantId, "image.unshare", "image", image.id, "succeeded", Map.of("tenant", tenantSlug));
        return image;
    }

    @Transactional
    public ImageVersion deprecateVersion(UUID id, String version, boolean deprecated) {
        Image image = manageable(id, true);
        ImageVersion target = version(image, version);
        target.deprecated = deprecated;
        audit.record(image.tenantId, "image.version.update", "image", image.id, "succeeded",
                Map.of("version", version, "deprecated", deprecated));
        return target;
    }

    /**
     * Marks a version deleted once nothing uses it: no live instance was created from it and no
     * channel names it. Answers the version for the caller to destroy on the host.
     */
    @Transactional
    public ImageVersion retireVersion(UUID id, String version) {
        Image image = manageable(id, true);
        ImageVersion target = version(image, version);
        em.lock(target, LockModeType.PESSIMISTIC_WRITE);
        refuseInUse(image, List.of(target));
        List<String> channels = em.createQuery("select c.channel from ImageChannel c where c.versionId = :version"
                + " order by c.channel", String.class).setParameter("version", target.id).getResultList();
        if (!channels.isEmpty() && !channels.equals(List.of(LATEST))) {
            throw ApiException.conflict("image_version_in_use", "version " + version + " is named by the channels "
                    + channels + "; move them first", Map.of("channels", channels));
        }
        em.createQuery("delete from ImageChannel c where c.versionId = :version")
                .setParameter("version", target.id).executeUpdate();
        target.deletedAt = Clock.now();
        em.flush();
        // latest falls back to the newest version left.
        versions(image.id).stream().findFirst().ifPresent(newest -> pointLatest(image, newest));
        audit.record(image.tenantId, "image.version.delete", "image", image.id, "succeeded", Map.of("version", version));
        events.record(image.tenantId, "image.updated", "image", image.id, Map.of("deletedVersion", version));
        return target;
    }

    /** Marks an image and its versions deleted once no live instance uses any of them. */
    @Transactional
    public List<ImageVersion> retire(UUID id) {
        Image image = manageable(id, true);
        List<ImageVersion> versions = versions(image.id);
        versions.forEach(version -> em.lock(version, LockModeType.PESSIMISTIC_WRITE));
        refuseInUse(image, versions);
        em.createQuery("delete from ImageChannel c where c.imageId = :image").setParameter("image", image.id)
                .executeUpdate();
        em.createQuery("delete from ImageShare s where s.imageId = :image").setParameter("image", image.id)
                .executeUpdate();
        versions.forEach(version -> version.deletedAt = Clock.now());
        image.deletedAt = Clock.now();
        audit.record(image.tenantId, "image.delete", "image", image.id, "succeeded", Map.of("name", image.name));
        events.record(image.tenantId, "image.deleted", "image", image.id, Map.of("name", image.name));
        return versions;
    }

    private void refuseInUse(Image image, List<ImageVersion> versions) {
        if (versions.isEmpty()) {
            return;
        }
        List<UUID> ids = versions.stream().map(version -> version.id).toList();
        long used = em.createQuery("select count(i) from Instance i where i.imageVersionId in :versions"
                + " and i.deletedAt is null", Long.class).setParameter("versions", ids).getSingleResult();
        if (used > 0) {
            throw ApiException.conflict("image_version_in_use", used + " instance(s) were created from "
                    + (versions.size() == 1 ? "version " + versions.get(0).version : "image " + image.name)
                    + " and still exist; delete them first", Map.of("instances", used));
        }
    }

    /** Points {@code latest} at a version. */
    void pointLatest(Image image, ImageVersion version) {
        point(image.id, LATEST, version.id, version.createdBy);
    }

    /** Points a channel at a version, creating the channel; answers the version it named before, if any. */
    UUID point(UUID imageId, String channel, UUID versionId, String actor) {
        ImageChannel row = em.find(ImageChannel.class, new ImageChannel.Key(imageId, channel));
        UUID before = row == null ? null : row.versionId;
        boolean created = row == null;
        if (created) {
            row = new ImageChannel();
            row.imageId = imageId;
            row.channel = channel;
        }
        row.versionId = versionId;
        row.updatedBy = actor;
        row.updatedAt = Clock.now();
        if (created) {
            em.persist(row);
        }
        return before;
    }

    /** A new image of the provider's, public, for the built-in images. */
    static Image providerImage(String name, String kind, String os, String description, String boot, boolean graphics,
                               String storageKey) {
        Image image = new Image();
        image.id = UUID.randomUUID();
        image.name = name;
        image.kind = kind;
        image.os = os;
        image.architecture = "x86_64";
        image.description = description;
        image.visibility = "public";
        image.boot = boot;
        image.graphics = graphics;
        image.storageKey = storageKey == null ? image.id.toString() : storageKey;
        image.builtIn = true;
        image.createdBy = "system";
        image.createdAt = Clock.now();
        image.updatedAt = image.createdAt;
        return image;
    }

    private ImageVersion version(Image image, String label) {
        return em.createQuery("from ImageVersion v where v.imageId = :image and v.version = :version"
                        + " and v.deletedAt is null", ImageVersion.class)
                .setParameter("image", image.id).setParameter("version", label)
                .getResultStream().findFirst()
                .orElseThrow(() -> ApiException.notFound("image version", image.name + "@" + label));
    }

    // ---- resolving references -----------------------------------------------------------------

    /**
     * The exact version a reference names for a tenant, or a 400 saying what is wrong: no such
     * image for the tenant, no such channel or version, an image of the other kind.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public Resolved resolve(UUID tenant, String kind, String reference) {
        String name = reference;
        String channel = null;
        String label = null;
        int at = reference.indexOf('@');
        int slash = reference.indexOf('/');
        if (at >= 0) {
            name = reference.substring(0, at);
            label = reference.substring(at + 1);
        } else if (slash >= 0) {
            name = reference.substring(0, slash);
            channel = reference.substring(slash + 1);
        }
        if (!NAME.matcher(name).matches() || (label != null && !VERSION.matcher(label).matches())
                || (channel != null && !CHANNEL.matcher(channel).matches())) {
            throw ApiException.badRequest("validation_failed", "an image reference is name, name/channel or "
                    + "name@version, e.g. busybox, debian/12/stable or debian@12.8", Map.of("field", "image"));
        }
        Image image = findVisible(tenant, name, kind).orElse(null);
        if (image == null) {
            Optional<Image> otherKind = findVisible(tenant, name, "jail".equals(kind) ? "vm" : "jail");
            if (otherKind.isPresent()) {
                throw ApiException.badRequest("validation_failed", "image " + name + " is a " + otherKind.get().kind
                        + " image, not a " + kind + " image", Map.of("field", "image"));
            }
            throw ApiException.badRequest("unknown_image", "there is no " + kind + " image '" + name + "' you can use",
                    Map.of("field", "image"));
        }
        ImageVersion version;
        if (label != null) {
            String wanted = label;
            version = versions(image.id).stream().filter(v -> v.version.equals(wanted)).findFirst()
                    .orElseThrow(() -> ApiException.badRequest("unknown_image_version", "image " + image.name
                            + " has no version " + wanted, Map.of("field", "image")));
        } else {
            String wanted = channel == null ? LATEST : channel;
            ImageChannel row = em.find(ImageChannel.class, new ImageChannel.Key(image.id, wanted));
            if (row != null) {
                version = em.find(ImageVersion.class, row.versionId);
            } else if (channel == null) {
                version = versions(image.id).stream().filter(v -> !v.deprecated).findFirst()
                        .orElseThrow(() -> ApiException.badRequest("unknown_image_version", "image " + image.name
                                + " has no version yet", Map.of("field", "image")));
            } else {
                throw ApiException.badRequest("unknown_image_channel", "image " + image.name + " has no channel "
                        + channel, Map.of("field", "image", "channels", List.copyOf(channels(image.id).keySet())));
            }
        }
        // Held until the instance is committed: a delete of the version waits, then sees the instance.
        em.lock(version, LockModeType.PESSIMISTIC_READ);
        return new Resolved(image, version);
    }

    /**
     * The kind of the images a reference names for the tenant, for a request that gives no kind: a
     * 400 when the name is of no image, or of both a jail and a VM image (the request must say
     * which).
     */
    @Transactional(Transactional.TxType.SUPPORTS)
    public String kindOf(UUID tenant, String reference) {
        String name = reference.replaceAll("[@/].*", "");
        List<String> kinds = Stream.of("jail", "vm").filter(kind -> findVisible(tenant, name, kind).isPresent()).toList();
        if (kinds.isEmpty()) {
            throw ApiException.badRequest("unknown_image", "there is no image '" + name + "' you can use",
                    Map.of("field", "image"));
        }
        if (kinds.size() > 1) {
            throw ApiException.badRequest("ambiguous_image", "'" + name + "' names a jail image and a vm image;"
                    + " say which with kind: jail or vm", Map.of("field", "kind", "kinds", kinds));
        }
        return kinds.get(0);
    }

    /**
     * The tenant's own image of that name and kind, else the provider's, else one another tenant
     * shared with it: a share can add a name, never take over one the tenant already uses.
     */
    private Optional<Image> findVisible(UUID tenant, String name, String kind) {
        List<Image> candidates = em.createQuery("from Image i where i.name = :name and i.kind = :kind"
                        + " and i.deletedAt is null"
                        + " and (i.tenantId = :tenant or i.visibility = 'public'"
                        + " or exists (select 1 from ImageShare s where s.imageId = i.id and s.tenantId = :tenant"
                        + " and s.acceptedAt is not null))",
                        Image.class)
                .setParameter("name", name).setParameter("kind", kind).setParameter("tenant", tenant).getResultList();
        if (candidates.isEmpty()) {
            // A built-in image once listed under its dataset name (debian-vm, now debian of kind vm):
            // references written then keep working.
            candidates = em.createQuery("from Image i where i.storageKey = :name and i.kind = :kind and i.builtIn"
                            + " and i.tenantId is null and i.visibility = 'public' and i.deletedAt is null", Image.class)
                    .setParameter("name", name).setParameter("kind", kind).getResultList();
        }
        return candidates.stream().min(Comparator
                .comparing((Image image) -> tenant.equals(image.tenantId) ? 0 : image.tenantId == null ? 1 : 2)
                .thenComparing(image -> image.createdAt));
    }

    /** Views of images, with what the caller may see of their shares. */
    @Transactional(Transactional.TxType.SUPPORTS)
    public ImageView view(Image image, boolean withVersions) {
        Caller.Principal principal = caller.get();
        boolean owner = principal.isPlatformAdmin() || (image.tenantId != null && image.tenantId.equals(principal.tenantId()));
        Map<String, String> channels = channels(image.id);
        List<ImageVersion> versions = versions(image.id);
        ImageVersion newest = channels.containsKey(LATEST)
                ? versions.stream().filter(v -> v.version.equals(channels.get(LATEST))).findFirst().orElse(null)
                : versions.stream().findFirst().orElse(null);
        List<ImageView.VersionView> versionViews = null;
        if (withVersions) {
            List<Instance> instances = instances(image.id);
            versionViews = new ArrayList<>();
            for (ImageVersion version : versions) {
                List<String> names = channels.entrySet().stream().filter(entry -> entry.getValue().equals(version.version))
                        .map(Map.Entry::getKey).toList();
                List<Instance> using = instances.stream().filter(instance -> version.id.equals(instance.imageVersionId))
                        .toList();
                List<ImageView.InstanceRef> visible = using.stream()
                        .filter(instance -> principal.isPlatformAdmin() || instance.tenantId.equals(principal.tenantId()))
                        .map(instance -> new ImageView.InstanceRef(instance.id, instance.name)).toList();
                versionViews.add(new ImageView.VersionView(version.id, version.version, version.format, version.sizeBytes,
                        version.unpackedBytes, version.sha256, owner ? version.source : null, version.deprecated, names,
                        using.size(), visible, image.name + "@" + version.version, version.createdBy, version.createdAt));
            }
        }
        String tenantSlug = image.tenantId == null ? null : Optional.ofNullable(em.find(Tenant.class, image.tenantId))
                .map(tenant -> tenant.slug).orElse(null);
        return new ImageView(image.id, image.name, tenantSlug, image.kind, image.os, image.architecture,
                image.description, image.visibility, image.boot, image.graphics, image.builtIn, image.deprecated,
                image.name, newest == null ? null : newest.version, newest == null ? null : newest.sizeBytes,
                newest == null ? null : newest.sha256, channels, owner ? shares(image.id) : null, versionViews,
                image.createdBy, image.createdAt);
    }

    /** Runs work in a new transaction (imports call in and out of transactions around long host work). */
    <T> T inTransaction(java.util.function.Supplier<T> work) {
        return QuarkusTransaction.requiringNew().call(work::get);
    }
}

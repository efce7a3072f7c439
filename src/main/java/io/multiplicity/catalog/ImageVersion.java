package io.multiplicity.catalog;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** One version of an image: the snapshot {@code @v<seq>} of its dataset, and what it was made from. */
@Entity
@Table(name = "image_versions")
public class ImageVersion extends PanacheEntityBase {

    @Id
    public UUID id;

    @Column(name = "image_id", nullable = false)
    public UUID imageId;

    /** The label users see and ask for, e.g. 1.36.1 or 12.8-20261121. */
    @Column(nullable = false)
    public String version;

    /** The snapshot number on the hosts. */
    public int seq;

    /** tar, tar.gz, tar.xz, tar.zst, raw, qcow2, kernel or built-in */
    @Column(nullable = false)
    public String format;

    /** Bytes of what was uploaded or downloaded. */
    @Column(name = "size_bytes")
    public long sizeBytes;

    /** Bytes it unpacked to (file data of an archive, virtual size of a disk). */
    @Column(name = "unpacked_bytes")
    public long unpackedBytes;

    @Column(nullable = false)
    public String sha256;

    public String source;

    public boolean deprecated;

    @Column(name = "created_by", nullable = false)
    public String createdBy;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    @Column(name = "deleted_at")
    public Instant deletedAt;
}

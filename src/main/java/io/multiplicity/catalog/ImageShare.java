package io.multiplicity.catalog;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/** An image shared with a tenant, which may then see it and create instances from it. */
@Entity
@Table(name = "image_shares")
@IdClass(ImageShare.Key.class)
public class ImageShare extends PanacheEntityBase {

    @Id
    @Column(name = "image_id")
    public UUID imageId;

    @Id
    @Column(name = "tenant_id")
    public UUID tenantId;

    @Column(name = "created_by", nullable = false)
    public String createdBy;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    /** When the receiving tenant accepted the offer; null while it is an offer only. */
    @Column(name = "accepted_at")
    public Instant acceptedAt;

    public static class Key implements Serializable {
        public UUID imageId;
        public UUID tenantId;

        public Key() {
        }

        public Key(UUID imageId, UUID tenantId) {
            this.imageId = imageId;
            this.tenantId = tenantId;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Key key && Objects.equals(imageId, key.imageId) && Objects.equals(tenantId, key.tenantId);
        }

        @Override
        public int hashCode() {
            return Objects.hash(imageId, tenantId);
        }
    }
}

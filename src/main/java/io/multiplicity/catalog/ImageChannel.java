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

/** A channel alias of an image ({@code debian/12/stable}: image debian, channel 12/stable) and the version it names. */
@Entity
@Table(name = "image_channels")
@IdClass(ImageChannel.Key.class)
public class ImageChannel extends PanacheEntityBase {

    @Id
    @Column(name = "image_id")
    public UUID imageId;

    @Id
    public String channel;

    @Column(name = "version_id", nullable = false)
    public UUID versionId;

    @Column(name = "updated_by", nullable = false)
    public String updatedBy;

    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;

    public static class Key implements Serializable {
        public UUID imageId;
        public String channel;

        public Key() {
        }

        public Key(UUID imageId, String channel) {
            this.imageId = imageId;
            this.channel = channel;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Key key && Objects.equals(imageId, key.imageId) && Objects.equals(channel, key.channel);
        }

        @Override
        public int hashCode() {
            return Objects.hash(imageId, channel);
        }
    }
}

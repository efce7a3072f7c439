package io.multiplicity.event;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.SequenceGenerator;
import jakarta.persistence.Table;
import jakarta.persistence.Transient;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** Something that happened to a tenant's resources; streams deliver them in commit order (see EventService). */
@Entity
@Table(name = "events")
public class Event extends PanacheEntityBase {

    /**
     * Drawn fifty at a time from the table's sequence (which steps by 50): no round trip per event,
     * and the insert waits for the flush of its transaction like any other.
     */
    @Id
    @GeneratedValue(strategy = GenerationType.SEQUENCE, generator = "event_ids")
    @SequenceGenerator(name = "event_ids", sequenceName = "events_id_seq", allocationSize = 50)
    public Long id;

    @Column(name = "tenant_id")
    public UUID tenantId;

    @Column(nullable = false)
    public String type;

    @Column(name = "target_type")
    public String targetType;

    @Column(name = "target_id")
    public UUID targetId;

    @JdbcTypeCode(SqlTypes.JSON)
    public Map<String, Object> payload;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    /** The id of the transaction that wrote it (filled by the database; read by streams). */
    @Transient
    public long transaction;
}

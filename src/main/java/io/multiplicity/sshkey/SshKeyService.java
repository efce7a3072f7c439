package io.multiplicity.sshkey;

import io.multiplicity.audit.AuditService;
import io.multiplicity.common.ApiException;
import io.multiplicity.common.Clock;
import io.multiplicity.identity.Caller;
import io.multiplicity.operation.Operation;
import io.multiplicity.operation.OperationService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Each user's SSH public keys: added, listed and removed by the user alone. */
@ApplicationScoped
@Transactional
public class SshKeyService {

    /** At most this many keys per user. */
    static final int MAX_KEYS = 100;

    @Schema(requiredProperties = {"id", "name", "type", "bits", "fingerprint", "publicKey", "createdAt"})
    public record SshKeyView(UUID id, String name, String type, int bits, String fingerprint, String comment,
            String publicKey, Instant createdAt) {

        static SshKeyView of(SshKey key) {
            SshPublicKey parsed = SshPublicKey.parse(key.publicKey);
            return new SshKeyView(key.id, key.name, parsed.type(), parsed.bits(), key.fingerprint, parsed.comment(),
                    key.publicKey, key.createdAt);
        }
    }

    @Inject
    EntityManager em;

    @Inject
    Caller caller;

    @Inject
    AuditService audit;

    @Inject
    OperationService operations;

    @Transactional(Transactional.TxType.SUPPORTS)
    public List<SshKeyView> list() {
        return mine().stream().map(SshKeyView::of).toList();
    }

    @Transactional(Transactional.TxType.SUPPORTS)
    public SshKeyView get(UUID id) {
        return SshKeyView.of(find(id));
    }

    public Operation add(String name, String publicKey) {
        SshPublicKey parsed;
        try {
            parsed = SshPublicKey.parse(publicKey);
        } catch (SshPublicKey.Invalid e) {
            throw ApiException.badRequest("invalid_ssh_key", e.getMessage(), Map.of("field", "publicKey"));
        }
        Caller.Principal principal = caller.get();
        // one user's adds in order: the user's row is the lock
        em.createNativeQuery("select id from users where id = ?1 for update").setParameter(1, principal.userId())
                .getResultList();
        List<SshKey> keys = mine();
        if (keys.size() >= MAX_KEYS) {
            throw ApiException.conflict("too_many_ssh_keys", "a user keeps at most " + MAX_KEYS + " keys", null);
        }
        for (SshKey key : keys) {
            if (key.name.equals(name)) {
                throw ApiException.conflict("name_taken", "you have a key named " + name + " already",
                        Map.of("field", "name"));
            }
            if (key.fingerprint.equals(parsed.fingerprint())) {
                throw ApiException.conflict("key_exists", "you have this key already, as " + key.name,
                        Map.of("field", "publicKey", "fingerprint", parsed.fingerprint()));
            }
        }
        SshKey key = new SshKey();
        key.id = UUID.randomUUID();
        key.userId = principal.userId();
        key.tenantId = principal.tenantId();
        key.name = name;
        key.publicKey = parsed.text();
        key.fingerprint = parsed.fingerprint();
        key.createdAt = Clock.now();
        em.persist(key);
        Map<String, Object> details = Map.of("name", name, "fingerprint", key.fingerprint);
        audit.record(key.tenantId, "ssh-key.add", "ssh-key", key.id, "succeeded", details);
        return operations.completed(key.tenantId, "ssh-key.add", "ssh-key", key.id, details);
    }

    public Operation remove(UUID id) {
        SshKey key = find(id);
        key.deletedAt = Clock.now();
        Map<String, Object> details = Map.of("name", key.name, "fingerprint", key.fingerprint);
        audit.record(key.tenantId, "ssh-key.remove", "ssh-key", id, "succeeded", details);
        return operations.completed(key.tenantId, "ssh-key.remove", "ssh-key", id, details);
    }

    /**
     * The caller's keys of these ids, as public keys for an instance to be created; 400 naming an id
     * that is not one of the caller's keys.
     */
    @Transactional(Transactional.TxType.SUPPORTS)
    public List<String> publicKeys(List<UUID> ids) {
        List<String> keys = new ArrayList<>();
        for (UUID id : new LinkedHashSet<>(ids)) {
            SshKey key = em.find(SshKey.class, id);
            if (key == null || key.deletedAt != null || !key.userId.equals(caller.get().userId())) {
                throw ApiException.badRequest("unknown_ssh_key", "you have no SSH key " + id,
                        Map.of("field", "sshKeys"));
            }
            keys.add(key.publicKey);
        }
        return keys;
    }

    private List<SshKey> mine() {
        return em.createQuery("from SshKey k where k.userId = :user and k.deletedAt is null order by k.createdAt, k.id",
                        SshKey.class)
                .setParameter("user", caller.get().userId())
                .getResultList();
    }

    private SshKey find(UUID id) {
        SshKey key = em.find(SshKey.class, id);
        if (key == null || key.deletedAt != null || !key.userId.equals(caller.get().userId())) {
            throw ApiException.notFound("ssh key", id);
        }
        return key;
    }
}

package io.multiplicity.network;

import io.multiplicity.audit.AuditService;
import io.multiplicity.common.ApiException;
import io.multiplicity.common.Clock;
import io.multiplicity.identity.Caller;
import io.multiplicity.operation.Operation;
import io.multiplicity.operation.OperationService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * Tenants' firewalls: named sets of inbound rules applied to instances. An instance with a
 * firewall is reached from outside (through its public address or port forwards) only where a
 * rule allows; one without is reached on whatever is published for it. Traffic inside a tenant
 * network passes unless the instance's firewall says {@code inside: filtered}; then new connections
 * from there pass its rules too. Traffic between tenants never passes.
 */
@ApplicationScoped
@Transactional
public class FirewallService {

    /** At most this many rules in one firewall. */
    public static final int MAX_RULES = 1000;

    @Schema(requiredProperties = {"id", "name", "rules", "inside", "instances", "createdAt", "updatedAt"})
    public record FirewallView(UUID id, String name, String description, List<FirewallRule> rules,
            @Schema(enumeration = {"open", "filtered"}) String inside, List<UUID> instances, Instant createdAt,
            Instant updatedAt) {
    }

    @Inject
    EntityManager em;

    @Inject
    Caller caller;

    @Inject
    AuditService audit;

    @Inject
    OperationService operations;

    @Inject
    Event<PublicAccessChanged> changed;

    @Transactional(Transactional.TxType.SUPPORTS)
    public List<FirewallView> list() {
        UUID scope = caller.tenantScope();
        var query = em.createQuery("from Firewall f where f.deletedAt is null"
                + (scope == null ? "" : " and f.tenantId = :tenant") + " order by f.name, f.id", Firewall.class);
        if (scope != null) {
            query.setParameter("tenant", scope);
        }
        List<Firewall> firewalls = query.getResultList();
        Map<UUID, List<UUID>> users = new HashMap<>();
        if (!firewalls.isEmpty()) {
            for (Object[] row : em.createQuery("select i.firewallId, i.id from Instance i where i.deletedAt is null"
                            + " and i.firewallId in :ids order by i.name", Object[].class)
                    .setParameter("ids", firewalls.stream().map(f -> f.id).toList())
                    .getResultList()) {
                users.computeIfAbsent((UUID) row[0], k -> new ArrayList<>()).add((UUID) row[1]);
            }
        }
        return firewalls.stream().map(f -> view(f, users.getOrDefault(f.id, List.of()))).toList();
    }

    @Transactional(Transactional.TxType.SUPPORTS)
    public FirewallView get(UUID id) {
        return list().stream().filter(view -> view.id().equals(id)).findFirst()
                .orElseThrow(() -> ApiException.notFound("firewall", id));
    }

    public Operation create(String name, String description, List<FirewallRule> rules, String inside) {
        UUID tenantId = caller.requireTenant();
        List<FirewallRule> normalized = normalize(rules);
        em.find(io.multiplicity.tenant.Tenant.class, tenantId, LockModeType.PESSIMISTIC_WRITE);
        requireFreeName(tenantId, name, null);
        Firewall firewall = new Firewall();
        firewall.id = UUID.randomUUID();
        firewall.tenantId = tenantId;
        firewall.name = name;
        firewall.description = description;
        firewall.rules = normalized;
        firewall.inside = inside == null ? Firewall.INSIDE_OPEN : inside(inside);
        firewall.createdAt = Clock.now();
        firewall.updatedAt = firewall.createdAt;
        em.persist(firewall);
        Map<String, Object> details = Map.of("name", name, "rules", firewall.rules.size(), "inside", firewall.inside);
        audit.record(tenantId, "firewall.create", "firewall", firewall.id, "succeeded", details);
        return operations.completed(tenantId, "firewall.create", "firewall", firewall.id, details);
    }

    /**
     * Changes a firewall's name, description, rules or whether they filter inside (each when
     * given); its instances follow at once.
     */
    public Operation update(UUID id, String name, String description, List<FirewallRule> rules, String inside) {
        Firewall firewall = find(id);
        Map<String, Object> details = new LinkedHashMap<>();
        if (name != null && !name.equals(firewall.name)) {
            em.find(io.multiplicity.tenant.Tenant.class, firewall.tenantId, LockModeType.PESSIMISTIC_WRITE);
            requireFreeName(firewall.tenantId, name, id);
            firewall.name = name;
            details.put("name", name);
        }
        if (description != null) {
            firewall.description = description.isBlank() ? null : description;
            details.put("description", description);
        }
        boolean published = false;
        if (rules != null) {
            firewall.rules = normalize(rules);
            details.put("rules", firewall.rules.size());
            published = true;
        }
        if (inside != null && !inside(inside).equals(firewall.inside)) {
            firewall.inside = inside;
            details.put("inside", inside);
            published = true;
        }
        if (published) {
            hostsUsing(id).forEach(host -> changed.fire(new PublicAccessChanged(host)));
        }
        firewall.updatedAt = Clock.now();
        audit.record(firewall.tenantId, "firewall.update", "firewall", id, "succeeded", details);
        return operations.completed(firewall.tenantId, "firewall.update", "firewall", id, details);
    }

    /** Deletes a firewall no instance uses. */
    public Operation delete(UUID id) {
        Firewall firewall = find(id);
        List<String> users = em.createQuery("select i.name from Instance i where i.firewallId = :id"
                        + " and i.deletedAt is null order by i.name", String.class)
                .setParameter("id", id)
                .getResultList();
        if (!users.isEmpty()) {
            throw ApiException.conflict("firewall_in_use", "the firewall " + firewall.name + " is applied to "
                    + String.join(", ", users) + "; apply another or none to them first", Map.of("instances", users));
        }
        firewall.deletedAt = Clock.now();
        audit.record(firewall.tenantId, "firewall.delete", "firewall", id, "succeeded", Map.of("name", firewall.name));
        return operations.completed(firewall.tenantId, "firewall.delete", "firewall", id, Map.of("name", firewall.name));
    }

    /** Applies a firewall of the instance's tenant to it, or none ({@code firewallId} null). */
    public Operation apply(UUID instanceId, UUID firewallId) {
        Instances instance = Instances.find(em, instanceId, caller.tenantScope(), true);
        String firewallName = null;
        if (firewallId != null) {
            Firewall firewall = em.find(Firewall.class, firewallId);
            if (firewall == null || firewall.deletedAt != null || !firewall.tenantId.equals(instance.tenantId())) {
                throw ApiException.badRequest("invalid_firewall", "no firewall " + firewallId
                        + " in the instance's tenant", Map.of("field", "firewall"));
            }
            firewallName = firewall.name;
        }
        em.createNativeQuery("update instances set firewall_id = ?1 where id = ?2")
                .setParameter(1, firewallId)
                .setParameter(2, instanceId)
                .executeUpdate();
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("firewall", firewallId);
        details.put("firewallName", firewallName);
        details.put("instanceName", instance.name());
        audit.record(instance.tenantId(), "instance.firewall", "instance", instanceId, "succeeded", details);
        if (instance.hostId() != null) {
            changed.fire(new PublicAccessChanged(instance.hostId()));
        }
        return operations.completed(instance.tenantId(), "instance.firewall", "instance", instanceId, details);
    }

    private Firewall find(UUID id) {
        UUID scope = caller.tenantScope();
        Firewall firewall = em.find(Firewall.class, id, LockModeType.PESSIMISTIC_WRITE);
        if (firewall == null || firewall.deletedAt != null || (scope != null && !scope.equals(firewall.tenantId))) {
            throw ApiException.notFound("firewall", id);
        }
        return firewall;
    }

    private void requireFreeName(UUID tenantId, String name, UUID except) {
        long taken = em.createQuery("select count(f) from Firewall f where f.tenantId = :tenant and f.name = :name"
                        + " and f.deletedAt is null and f.id <> :except", Long.class)
                .setParameter("tenant", tenantId)
                .setParameter("name", name)
                .setParameter("except", except == null ? UUID.randomUUID() : except)
                .getSingleResult();
        if (taken > 0) {
            throw ApiException.conflict("name_taken", "there is already a firewall named " + name,
                    Map.of("field", "name"));
        }
    }

    private List<UUID> hostsUsing(UUID firewallId) {
        return em.createQuery("select distinct i.hostId from Instance i where i.firewallId = :id"
                        + " and i.deletedAt is null and i.hostId is not null", UUID.class)
                .setParameter("id", firewallId)
                .getResultList();
    }

    private static FirewallView view(Firewall firewall, List<UUID> instances) {
        return new FirewallView(firewall.id, firewall.name, firewall.description, firewall.rules, firewall.inside,
                instances, firewall.createdAt, firewall.updatedAt);
    }

    private static String inside(String inside) {
        if (!Firewall.INSIDE_OPEN.equals(inside) && !Firewall.INSIDE_FILTERED.equals(inside)) {
            throw ApiException.badRequest("invalid_inside", "inside is open or filtered, not " + inside,
                    Map.of("field", "inside"));
        }
        return inside;
    }

    /**
     * Checks rules beyond their field constraints and writes them one way: ports only where the
     * protocol has them, {@code toPort} filled in, the source as its network address ({@code
     * 192.0.2.7} is {@code 192.0.2.7/32}).
     */
    static List<FirewallRule> normalize(List<FirewallRule> rules) {
        if (rules == null) {
            return List.of();
        }
        if (rules.size() > MAX_RULES) {
            throw ApiException.badRequest("too_many_rules", "a firewall has at most " + MAX_RULES + " rules",
                    Map.of("field", "rules"));
        }
        List<FirewallRule> normalized = new ArrayList<>();
        for (int index = 0; index < rules.size(); index++) {
            FirewallRule rule = rules.get(index);
            String field = "rules[" + index + "]";
            if (rule == null) {
                throw ApiException.badRequest("invalid_rule", field + " is empty", Map.of("field", field));
            }
            boolean ports = rule.protocol().equals("tcp") || rule.protocol().equals("udp");
            Integer from = rule.fromPort();
            Integer to = rule.toPort();
            if (ports && from == null) {
                throw ApiException.badRequest("invalid_rule", field + ": " + rule.protocol() + " needs fromPort",
                        Map.of("field", field + ".fromPort"));
            }
            if (!ports && (from != null || to != null)) {
                throw ApiException.badRequest("invalid_rule", field + ": " + rule.protocol() + " has no ports",
                        Map.of("field", field + ".fromPort"));
            }
            if (ports && to == null) {
                to = from;
            }
            if (ports && to < from) {
                throw ApiException.badRequest("invalid_rule", field + ": toPort " + to + " is below fromPort " + from,
                        Map.of("field", field + ".toPort"));
            }
            normalized.add(new FirewallRule(rule.protocol(), from, to, network(rule.source(), field),
                    rule.description() == null || rule.description().isBlank() ? null : rule.description()));
        }
        return normalized;
    }

    private static String network(String source, String field) {
        try {
            return Ipv4.network(source, true).toString();
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("invalid_rule", field + ": source is not an IPv4 network in CIDR notation: "
                    + source, Map.of("field", field + ".source"));
        }
    }
}

package io.multiplicity.network;

import io.multiplicity.host.HostDrivers;
import io.multiplicity.host.contract.HostDriver;
import io.multiplicity.host.contract.PublicAccess;
import io.multiplicity.host.contract.PublicAccess.Exposure;
import io.multiplicity.host.contract.PublicAccess.Forward;
import io.multiplicity.host.contract.PublicAccess.Protocol;
import io.multiplicity.host.contract.PublicAccess.Rule;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Takes what the database says the outside may reach on a host (and which instances' firewalls
 * filter their own tenant network) to that host: after every change,
 * once it is committed, and again on every reconcile pass (so a host that was out of reach, or an
 * agent that restarted, converges). What a host gets is computed whole from the database each time
 * and replaces what it had; publications to one host are serialised, so an older computation never
 * overwrites a newer one.
 */
@ApplicationScoped
public class PublicAccessPublisher {

    private static final Logger LOG = Logger.getLogger(PublicAccessPublisher.class);

    @Inject
    HostDrivers hosts;

    @Inject
    EntityManager em;

    @Inject
    io.multiplicity.host.HostsConfig config;

    private final Map<UUID, Object> locks = new ConcurrentHashMap<>();

    void onChange(@Observes(during = TransactionPhase.AFTER_SUCCESS) PublicAccessChanged change) {
        try {
            publish(change.hostId(), hosts.forHost(change.hostId()));
        } catch (RuntimeException e) {
            LOG.warnf("could not publish the public access of host %s now: %s; the next reconcile pass retries",
                    change.hostId(), e.getMessage());
        }
    }

    @Scheduled(every = "${multiplicity.hosts.reconcile-interval:10s}", delayed = "3s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        // the hosts no replica has published to for most of an interval: each host once, whatever the replicas
        for (Map.Entry<UUID, HostDriver> host : hosts.due("publish", config.reconcileInterval()).entrySet()) {
            try {
                publish(host.getKey(), host.getValue());
            } catch (RuntimeException e) {
                LOG.warnf("could not publish the public access of host %s: %s", host.getKey(), e.getMessage());
            }
        }
    }

    /** Computes the host's public access from the database and gives it to the host. */
    public void publish(UUID hostId, HostDriver driver) {
        synchronized (locks.computeIfAbsent(hostId, id -> new Object())) {
            driver.publish(QuarkusTransaction.requiringNew().call(() -> access(hostId)));
        }
    }

    /** What the outside may reach on the host, as the database says now. */
    public PublicAccess access(UUID hostId) {
        Map<UUID, Builder> exposures = new LinkedHashMap<>();
        TreeSet<String> addresses = new TreeSet<>();
        @SuppressWarnings("unchecked")
        List<Object[]> assigned = em.createNativeQuery("select i.id, n.vlan, i.address, p.address, f.rules::text,"
                        + " f.inside = 'filtered' from address_assignments a join public_addresses p on p.id = a.public_address_id"
                        + " join instances i on i.id = a.instance_id join tenant_networks n on n.id = i.network_id"
                        + " left join firewalls f on f.id = i.firewall_id"
                        + " where a.released_at is null and i.deleted_at is null and i.host_id = ?1 and p.host_id = ?1"
                        + " order by i.id")
                .setParameter(1, hostId)
                .getResultList();
        for (Object[] row : assigned) {
            Builder exposure = exposures.computeIfAbsent((UUID) row[0],
                    id -> new Builder(id, ((Number) row[1]).intValue(), (String) row[2], rules((String) row[4]),
                            Boolean.TRUE.equals(row[5])));
            exposure.publicAddress = (String) row[3];
            addresses.add((String) row[3]);
        }
        @SuppressWarnings("unchecked")
        List<Object[]> forwarded = em.createNativeQuery("select i.id, n.vlan, i.address, p.address, f.rules::text,"
                        + " f.inside = 'filtered', w.protocol, w.port, w.target_port"
                        + " from port_forwards w join public_addresses p on p.id = w.public_address_id"
                        + " join instances i on i.id = w.instance_id join tenant_networks n on n.id = i.network_id"
                        + " left join firewalls f on f.id = i.firewall_id"
                        + " where w.released_at is null and i.deleted_at is null and i.host_id = ?1 and p.host_id = ?1"
                        + " order by i.id, p.address, w.protocol, w.port")
                .setParameter(1, hostId)
                .getResultList();
        for (Object[] row : forwarded) {
            Builder exposure = exposures.computeIfAbsent((UUID) row[0],
                    id -> new Builder(id, ((Number) row[1]).intValue(), (String) row[2], rules((String) row[4]),
                            Boolean.TRUE.equals(row[5])));
            exposure.forwards.add(new Forward((String) row[3], Protocol.valueOf(((String) row[6]).toUpperCase(Locale.ROOT)),
                    ((Number) row[7]).intValue(), ((Number) row[8]).intValue()));
            addresses.add((String) row[3]);
        }
        // Instances whose firewall filters their own tenant network, reachable from outside or not.
        @SuppressWarnings("unchecked")
        List<Object[]> filtered = em.createNativeQuery("select i.id, n.vlan, i.address, f.rules::text"
                        + " from instances i join tenant_networks n on n.id = i.network_id"
                        + " join firewalls f on f.id = i.firewall_id"
                        + " where f.inside = 'filtered' and i.deleted_at is null and i.host_id = ?1 and i.address is not null"
                        + " order by i.id")
                .setParameter(1, hostId)
                .getResultList();
        for (Object[] row : filtered) {
            exposures.computeIfAbsent((UUID) row[0],
                    id -> new Builder(id, ((Number) row[1]).intValue(), (String) row[2], rules((String) row[3]), true));
        }
        return new PublicAccess(List.copyOf(addresses), exposures.values().stream().map(Builder::build).toList());
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /** The firewall's rules as the host takes them; null (no firewall): open. */
    private static List<Rule> rules(String json) {
        if (json == null) {
            return null;
        }
        try {
            List<Rule> rules = new ArrayList<>();
            for (FirewallRule rule : JSON.readValue(json, FirewallRule[].class)) {
                Protocol protocol = Protocol.valueOf(rule.protocol().toUpperCase(Locale.ROOT));
                rules.add(new Rule(protocol, protocol.hasPorts() ? rule.fromPort() : 0,
                        protocol.hasPorts() ? rule.toPort() : 0, rule.source()));
            }
            return rules;
        } catch (java.io.IOException e) {
            throw new IllegalStateException("a firewall's rules are not readable: " + e.getMessage(), e);
        }
    }

    private static final class Builder {
        final UUID id;
        final int network;
        final String address;
        final List<Rule> rules;
        final boolean filterInside;
        final List<Forward> forwards = new ArrayList<>();
        String publicAddress;

        Builder(UUID id, int network, String address, List<Rule> rules, boolean filterInside) {
            this.id = id;
            this.network = network;
            this.address = address;
            this.rules = rules;
            this.filterInside = filterInside;
        }

        Exposure build() {
            return new Exposure(id, network, address, publicAddress, forwards, rules, filterInside);
        }
    }
}

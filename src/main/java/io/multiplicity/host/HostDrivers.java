package io.multiplicity.host;

import io.multiplicity.common.ApiException;
import io.multiplicity.host.contract.HostDriver;
import io.multiplicity.host.remote.RemoteAgents;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The one door from the control plane to the hosts: every call that reaches a host's agent gets
 * its {@link HostDriver} here, by host, by instance, as the host that stores the catalog's images,
 * or as one of the hosts this process reaches: the in-process agent of the local host
 * ({@link LocalAgent}), or a remote host's agent over the network ({@link RemoteAgents}), behind the
 * same contract, so no caller can tell them apart.
 */
@ApplicationScoped
public class HostDrivers {

    @Inject
    LocalAgent localAgent;

    @Inject
    EntityManager em;

    @Inject
    RemoteAgents remoteAgents;

    @Inject
    HostUpkeep upkeep;

    /**
     * Whether this replica itself saw the host answer after {@code horizon}: true for its
     * in-process host while that answers, whatever the database's last-seen says.
     */
    public boolean answeredHereSince(UUID hostId, java.time.Instant horizon) {
        return localAgent.answeredSince(hostId, horizon);
    }

    /** The driver of a host's agent; 404 for an unknown host, IllegalStateException when no agent of it is reachable. */
    public HostDriver forHost(UUID hostId) {
        // What reaching the host takes, not the whole row (its facts are parsed for nothing): asked
        // several times by every operation.
        List<Object[]> rows = QuarkusTransaction.joiningExisting().call(() -> em.createQuery(
                        "select h.local, h.agentUrl, h.agentCertificateSerial, h.name from Host h where h.id = :id",
                        Object[].class)
                .setParameter("id", hostId)
                .getResultList());
        if (rows.isEmpty()) {
            throw ApiException.notFound("host", hostId);
        }
        boolean local = (Boolean) rows.get(0)[0];
        String agentUrl = (String) rows.get(0)[1];
        if (local && isLocal(hostId)) {
            return localAgent.driver();
        }
        if (agentUrl != null && !local) {
            return remoteAgents.driver(hostId, agentUrl, (String) rows.get(0)[2]);
        }
        throw new IllegalStateException("host " + rows.get(0)[3] + " has no reachable agent: its agent runs in another"
                + " replica's process, and this replica cannot reach it");
    }

    /** The driver of the host an instance is placed on; 404 for an unknown instance. */
    public HostDriver forInstance(UUID instanceId) {
        List<UUID> hosts = QuarkusTransaction.joiningExisting().call(() -> em.createQuery(
                        "select i.hostId from Instance i where i.id = :id", UUID.class)
                .setParameter("id", instanceId)
                .getResultList());
        if (hosts.isEmpty()) {
            throw ApiException.notFound("instance", instanceId);
        }
        if (hosts.get(0) == null) {
            throw new IllegalStateException("instance " + instanceId + " is placed on no host");
        }
        return forHost(hosts.get(0));
    }

    /**
     * The driver of the host that stores the catalog's images (on a single node, the local host),
     * or empty when no such host's agent runs in reach.
     */
    public Optional<HostDriver> imageHost() {
        if (localAgent.hostId() != null) {
            return Optional.of(localAgent.driver());
        }
        return imageHostId().map(this::forHost);
    }

    /**
     * The id of the host that stores the catalog's images: the local host, else the longest-enrolled
     * remote host this replica reaches. Versions are imported there; other hosts get a version when an
     * instance of it lands on them (catalog.ImageCopies).
     */
    public Optional<UUID> imageHostId() {
        if (localAgent.hostId() != null) {
            return Optional.of(localAgent.hostId());
        }
        Set<UUID> remote = remoteAgents.reachable();
        if (remote.isEmpty()) {
            return Optional.empty();
        }
        // Asked for every create of an image no host is recorded to hold: a host's enrolment time
        // never changes, so the answer stands while the same hosts are reachable.
        ImageHost known = imageHost;
        if (known != null && known.among().equals(remote)) {
            return known.id();
        }
        Optional<UUID> id = QuarkusTransaction.joiningExisting().call(() -> em.createQuery(
                        "select h.id from Host h where h.id in :ids order by h.createdAt, h.id", UUID.class)
                .setParameter("ids", remote)
                .setMaxResults(1)
                .getResultStream().findFirst());
        imageHost = new ImageHost(remote, id);
        return id;
    }

    /** The image host found among a set of reachable hosts. */
    private record ImageHost(Set<UUID> among, Optional<UUID> id) {
    }

    private volatile ImageHost imageHost;

    /**
     * The ids of the hosts whose agents this process reaches, without loading their rows: what the
     * operation worker asks before each claim.
     */
    public Set<UUID> reachableIds() {
        Set<UUID> remote = remoteAgents.reachable();
        UUID local = localAgent.hostId();
        if (local == null) {
            return remote;
        }
        Set<UUID> ids = new java.util.HashSet<>(remote);
        ids.add(local);
        return ids;
    }

    /** The hosts whose agents this process reaches, by host id: the reconciler and metering go over these. */
    public Map<UUID, HostDriver> reachable() {
        return drivers(reachableIds());
    }

    /**
     * The hosts this process reaches whose periodic {@code task} is due, taken for this replica's
     * pass ({@link HostUpkeep}): the scheduled passes of reconciliation, publication and metering go
     * over these, so that each host gets one per interval however many replicas reach it.
     */
    public Map<UUID, HostDriver> due(String task, java.time.Duration interval) {
        return drivers(upkeep.claim(task, reachableIds(), interval));
    }

    /** The drivers of these hosts, in no particular order; a host without an agent is left out. */
    private Map<UUID, HostDriver> drivers(Set<UUID> ids) {
        Map<UUID, HostDriver> reachable = new LinkedHashMap<>();
        UUID local = localAgent.hostId();
        if (local != null && ids.contains(local)) {
            reachable.put(local, localAgent.driver());
        }
        List<UUID> remote = ids.stream().filter(id -> !id.equals(local)).toList();
        if (!remote.isEmpty()) {
            // Where each agent is and which certificate it has, not whole rows (their facts parsed for
            // nothing); "= any" of one array, one statement whatever the number of hosts.
            List<?> rows = QuarkusTransaction.joiningExisting().call(() -> em.createNativeQuery(
                            "select id, agent_url, agent_certificate_serial from hosts"
                                    + " where id = any(?1) and agent_url is not null and not local")
                    .setParameter(1, remote.toArray(new UUID[0]))
                    .getResultList());
            for (Object found : rows) {
                Object[] row = (Object[]) found;
                reachable.put((UUID) row[0], remoteAgents.driver((UUID) row[0], (String) row[1], (String) row[2]));
            }
        }
        return reachable;
    }

    private boolean isLocal(UUID hostId) {
        return hostId.equals(localAgent.hostId());
    }
}

package io.multiplicity.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agroal.api.AgroalDataSource;
import io.multiplicity.support.RecordingHostProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.Test;

/**
 * The periodic upkeep of hosts is shared among replicas: a host's task is taken by one pass per
 * interval, whichever replica's, even when two replicas' passes come at the same moment; it is due
 * again after four fifths of the interval; tasks are taken apart; a host deleted meanwhile is left out.
 * The hosts are made offline (placement never picks them) and removed at the end.
 */
@QuarkusTest
@TestProfile(RecordingHostProfile.class)
class HostUpkeepTest {

    private static final Duration INTERVAL = Duration.ofSeconds(10);

    @Inject
    HostUpkeep upkeep;

    @Inject
    AgroalDataSource dataSource;

    @Test
    void eachHostsTaskIsTakenOncePerIntervalWhateverTheReplicas() throws Exception {
        List<UUID> hosts = new ArrayList<>();
        try {
            for (int i = 0; i < 40; i++) {
                UUID id = UUID.randomUUID();
                hosts.add(id);
                sql("insert into hosts (id, name, state, cpus, memory_mib, storage_gib, kinds) values ('" + id
                        + "', 'upkeep-" + id.toString().substring(0, 8) + "', 'offline', 4, 4096, 10, 'jail')");
            }
            UUID first = hosts.get(0);
            assertEquals(Set.copyOf(hosts), upkeep.claim("reconcile", hosts, INTERVAL), "every host is due at first");
            assertEquals(Set.of(), upkeep.claim("reconcile", hosts, INTERVAL), "none is due right after");
            assertEquals(Set.of(first), upkeep.claim("meter", List.of(first), INTERVAL), "another task is taken apart");

            backdate(first, "reconcile", 5);
            assertEquals(Set.of(), upkeep.claim("reconcile", hosts, INTERVAL), "5 s of a 10 s interval: not due yet");
            backdate(first, "reconcile", 4);
            assertEquals(Set.of(first), upkeep.claim("reconcile", hosts, INTERVAL), "9 s of 10: due again");

            // Two replicas' passes at the same moment: each host goes to one of them.
            for (int round = 0; round < 5; round++) {
                String task = "publish-" + round;
                CyclicBarrier together = new CyclicBarrier(2);
                CompletableFuture<Set<UUID>> a = CompletableFuture.supplyAsync(() -> claimTogether(together, task, hosts));
                CompletableFuture<Set<UUID>> b = CompletableFuture.supplyAsync(() -> claimTogether(together, task, hosts));
                Set<UUID> both = new HashSet<>(a.get());
                both.retainAll(b.get());
                assertEquals(Set.of(), both, "no host is taken by both replicas");
                Set<UUID> either = new HashSet<>(a.get());
                either.addAll(b.get());
                assertEquals(Set.copyOf(hosts), either, "every host is taken by one of them");
            }

            sql("delete from hosts where id = '" + first + "'");
            backdateAll("reconcile", 9);
            Set<UUID> rest = upkeep.claim("reconcile", hosts, INTERVAL);
            assertEquals(hosts.size() - 1, rest.size(), "a deleted host is left out, the others are taken");
            assertTrue(!rest.contains(first));
        } finally {
            for (UUID id : hosts) {
                sql("delete from hosts where id = '" + id + "'");
            }
        }
    }

    private Set<UUID> claimTogether(CyclicBarrier together, String task, List<UUID> hosts) {
        try {
            together.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return upkeep.claim(task, hosts, INTERVAL);
    }

    private void backdate(UUID host, String task, int seconds) throws Exception {
        sql("update host_upkeep set done_at = done_at - interval '" + seconds + " seconds' where host_id = '" + host
                + "' and task = '" + task + "'");
    }

    private void backdateAll(String task, int seconds) throws Exception {
        sql("update host_upkeep set done_at = done_at - interval '" + seconds + " seconds' where task = '" + task + "'");
    }

    private void sql(String statement) throws Exception {
        try (Connection connection = dataSource.getConnection(); Statement s = connection.createStatement()) {
            s.executeUpdate(statement);
        }
    }
}

package io.multiplicity.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.agroal.api.AgroalDataSource;
import io.multiplicity.support.RecordingHostProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * What admission reads of a host ({@code host_allocations}) stays what the host's live instances
 * hold, whatever statement changes them: inserts, starts and stops, resizes, a move to another
 * host and back, soft and hard deletes. Each step compares every host's row with the sum over its
 * instances (running ones' vCPUs and memory, every live one's disk). All in one transaction that is
 * rolled back, so the shared test database keeps nothing of it.
 */
@QuarkusTest
@TestProfile(RecordingHostProfile.class)
class HostAllocationsTest {

    @Inject
    AgroalDataSource dataSource;

    @Test
    void theHostsRowFollowsEveryChangeOfItsInstances() throws Exception {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                UUID tenant = UUID.randomUUID();
                update(connection, "insert into tenants (id, slug, display_name) values ('" + tenant
                        + "', 'allocations-" + tenant.toString().substring(0, 8) + "', 'Allocations')");
                UUID first = single(connection, "select id from hosts where name = 'test-host'");
                UUID second = UUID.randomUUID();
                update(connection, "insert into hosts (id, name, state, cpus, memory_mib, storage_gib, kinds)"
                        + " values ('" + second + "', 'allocations-" + second.toString().substring(0, 8)
                        + "', 'ready', 8, 16384, 100, 'jail')");
                List<UUID> ids = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    UUID id = UUID.randomUUID();
                    ids.add(id);
                    update(connection, "insert into instances (id, tenant_id, name, kind, image, vcpus, memory_mib,"
                            + " disk_gib, desired_state, actual_state, host_id, created_at, updated_at) values ('" + id
                            + "', '" + tenant + "', 'allocations-" + id.toString().substring(0, 8) + "', 'jail',"
                            + " 'busybox', " + (1 + i) + ", " + (256 * (1 + i)) + ", " + (2 + i) + ", '"
                            + (i % 2 == 0 ? "running" : "stopped") + "', 'provisioning', '" + first + "', now(), now())");
                }
                assertEquals(List.of(0L, 0L, 0L), allocated(connection, second), "a new host has its row, empty");
                assertMatches(connection, "after inserts");
                update(connection, "update instances set desired_state = 'running' where id = '" + ids.get(1) + "'");
                update(connection, "update instances set desired_state = 'stopped' where id = '" + ids.get(0) + "'");
                assertMatches(connection, "after a start and a stop");
                update(connection, "update instances set vcpus = 7, memory_mib = 4096, disk_gib = 30 where id = '"
                        + ids.get(2) + "'");
                update(connection, "update instances set actual_state = 'running', state_detail = 'fine' where id = '"
                        + ids.get(2) + "'");
                assertMatches(connection, "after a resize and a state report");
                update(connection, "update instances set host_id = '" + second + "' where id in ('" + ids.get(3)
                        + "', '" + ids.get(4) + "')");
                assertMatches(connection, "after a move to another host");
                assertEquals(List.of(5L, 1280L, 5L + 6), allocated(connection, second),
                        "the second host holds the disks of the two it received and the vCPUs and memory of the running one");
                update(connection, "update instances set host_id = '" + first + "', desired_state = 'running'"
                        + " where id = '" + ids.get(3) + "'");
                assertMatches(connection, "after a move back with a start");
                update(connection, "update instances set desired_state = 'deleted' where id = '" + ids.get(2) + "'");
                update(connection, "update instances set deleted_at = now() where id = '" + ids.get(5) + "'");
                update(connection, "delete from instances where id = '" + ids.get(4) + "'");
                assertMatches(connection, "after a delete request, a soft and a hard delete");
                assertEquals(List.of(0L, 0L, 0L), allocated(connection, second), "the second host holds nothing");
            } finally {
                connection.rollback();
            }
        }
    }

    private static void assertMatches(Connection connection, String when) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("""
                     select h.name, coalesce(a.vcpus, 0), coalesce(a.memory_mib, 0), coalesce(a.disk_gib, 0),
                            coalesce(sum(case when i.desired_state = 'running' then i.vcpus else 0 end), 0),
                            coalesce(sum(case when i.desired_state = 'running' then i.memory_mib else 0 end), 0),
                            coalesce(sum(i.disk_gib), 0)
                       from hosts h left join host_allocations a on a.host_id = h.id
                       left join instances i on i.host_id = h.id and i.deleted_at is null
                      group by h.name, a.vcpus, a.memory_mib, a.disk_gib""")) {
            int hosts = 0;
            while (rows.next()) {
                hosts++;
                String host = rows.getString(1);
                assertEquals(rows.getLong(5), rows.getLong(2), host + " vCPUs " + when);
                assertEquals(rows.getLong(6), rows.getLong(3), host + " memory " + when);
                assertEquals(rows.getLong(7), rows.getLong(4), host + " disk " + when);
            }
            assertEquals(true, hosts >= 2, "both hosts compared " + when);
        }
    }

    private static List<Long> allocated(Connection connection, UUID host) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "select vcpus, memory_mib, disk_gib from host_allocations where host_id = ?")) {
            statement.setObject(1, host);
            try (ResultSet row = statement.executeQuery()) {
                assertEquals(true, row.next(), "the host has its row");
                return List.of(row.getLong(1), row.getLong(2), row.getLong(3));
            }
        }
    }

    private static UUID single(Connection connection, String query) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet row = statement.executeQuery(query)) {
            row.next();
            return row.getObject(1, UUID.class);
        }
    }

    private static void update(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.executeUpdate(sql);
        }
    }
}

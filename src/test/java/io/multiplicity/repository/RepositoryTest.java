package io.multiplicity.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.multiplicity.common.ApiException;
import io.multiplicity.common.Clock;
import io.multiplicity.event.Event;
import io.multiplicity.event.EventCursor;
import io.multiplicity.event.EventService;
import io.multiplicity.host.Host;
import io.multiplicity.host.Placement;
import io.multiplicity.identity.IdentityDirectory;
import io.multiplicity.identity.UserAccount;
import io.multiplicity.instance.Instance;
import io.multiplicity.instance.InstanceType;
import io.multiplicity.network.Ipam;
import io.multiplicity.network.TenantNetwork;
import io.multiplicity.operation.Operation;
import io.multiplicity.support.RecordingHostProfile;
import io.multiplicity.tenant.Tenant;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.math.BigDecimal;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The persistence of each feature against the real PostgreSQL and the Flyway schema. */
@QuarkusTest
@TestProfile(RecordingHostProfile.class)
class RepositoryTest {

    @Inject
    EntityManager em;

    @Inject
    IdentityDirectory directory;

    @Inject
    Placement placement;

    @Inject
    Ipam ipam;

    @Inject
    EventService events;

    @Test
    void tenantsAndUsersAreMirroredOncePerSubject() {
        String slug = "t" + UUID.randomUUID().toString().substring(0, 8);
        IdentityDirectory.Mirror first = directory.mirror("subject-" + slug, "erin", "erin@example.test", slug);
        directory.invalidate();
        IdentityDirectory.Mirror again = directory.mirror("subject-" + slug, "erin2", null, slug);
        assertEquals(first.userId(), again.userId());
        assertEquals(first.tenantId(), again.tenantId());
        QuarkusTransaction.requiringNew().run(() -> {
            assertThat(Tenant.findBySlug(slug)).isPresent();
            UserAccount user = UserAccount.findById(first.userId());
            assertEquals("erin2", user.username);
            assertEquals(1, UserAccount.count("subject", "subject-" + slug));
        });
    }

    @Test
    void tenantSlugsAreUnique() {
        String slug = "u" + UUID.randomUUID().toString().substring(0, 8);
        QuarkusTransaction.requiringNew().run(() -> tenant(slug));
        assertThatThrownBy(() -> QuarkusTransaction.requiringNew().run(() -> tenant(slug)))
                .rootCause().hasMessageContaining("tenants_slug_key");
    }

    @Test
    void instanceTypesAreSeeded() {
        List<InstanceType> jails = QuarkusTransaction.requiringNew().call(() -> InstanceType.list("kind", "jail"));
        assertThat(jails).extracting(type -> type.name).contains("j1.nano", "j1.small", "j1.medium", "j1.large");
        List<InstanceType> vms = QuarkusTransaction.requiringNew().call(() -> InstanceType.list("kind", "vm"));
        assertThat(vms).extracting(type -> type.name).contains("v1.small", "v1.medium");
    }

    @Test
    void hostsKeepCapacityRatiosAndFacts() {
        UUID id = QuarkusTransaction.requiringNew().call(() -> host(8, 16384, new BigDecimal("1.5")).id);
        Host host = QuarkusTransaction.requiringNew().call(() -> Host.findById(id));
        assertEquals(32 - 2, host.allocatableVcpus());
        assertEquals(16384 * 3 / 2 - 1024, host.allocatableMemoryMiB());
        assertEquals(Map.of("zfs", "test"), host.facts.get("runtimes"));
        assertEquals(Set.of("jail", "vm"), host.kindSet());
    }

    @Test
    void liveInstanceNamesAreUniquePerTenantButDeletedOnesFreeTheirName() {
        Tenant tenant = QuarkusTransaction.requiringNew().call(() -> tenant("n" + UUID.randomUUID().toString().substring(0, 8)));
        UUID first = QuarkusTransaction.requiringNew().call(() -> instance(tenant.id, "web").id);
        assertThatThrownBy(() -> QuarkusTransaction.requiringNew().run(() -> instance(tenant.id, "web")))
                .rootCause().hasMessageContaining("instances_tenant_name");
        QuarkusTransaction.requiringNew().run(() -> {
            Instance gone = Instance.findById(first);
            gone.deletedAt = Clock.now();
        });
        QuarkusTransaction.requiringNew().run(() -> instance(tenant.id, "web"));
        assertEquals(2L, (long) QuarkusTransaction.requiringNew().call(() -> Instance.count("tenantId", tenant.id)));
    }

    @Test
    void placementRefusesWhatNoHostHoldsAndNamesTheResource() {
        QuarkusTransaction.requiringNew().run(() -> host(1, 2048, BigDecimal.ONE));
        ApiException refused = (ApiException) org.junit.jupiter.api.Assertions.assertThrows(ApiException.class,
                () -> QuarkusTransaction.requiringNew().run(() -> placement.choose(new Placement.Request(null, null, "vm", 1, 10_000_000, 1, true))));
        assertEquals("insufficient_capacity", refused.code());
        assertThat(refused.details().toString()).contains("memoryMiB");
        Host chosen = QuarkusTransaction.requiringNew().call(() -> placement.choose(new Placement.Request(null, null, "jail", 1, 64, 1, true)));
        assertThat(chosen.kindSet()).contains("jail");
    }

    @Test
    void ipamGivesEachInstanceItsOwnAddressAndEachTenantItsOwnNetwork() {
        Host host = QuarkusTransaction.requiringNew().call(() -> host(4, 8192, BigDecimal.ONE));
        Tenant first = QuarkusTransaction.requiringNew().call(() -> tenant("i" + UUID.randomUUID().toString().substring(0, 8)));
        Tenant second = QuarkusTransaction.requiringNew().call(() -> tenant("j" + UUID.randomUUID().toString().substring(0, 8)));
        Set<String> addresses = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            int index = i;
            addresses.add(QuarkusTransaction.requiringNew().call(() -> {
                TenantNetwork network = ipam.network(first.id, host.id);
                Instance instance = instance(first.id, "a" + index);
                instance.hostId = host.id;
                instance.networkId = network.id;
                instance.address = ipam.allocate(network);
                return instance.address;
            }));
        }
        assertThat(addresses).hasSize(5);
        TenantNetwork a = QuarkusTransaction.requiringNew().call(() -> ipam.network(first.id, host.id));
        TenantNetwork b = QuarkusTransaction.requiringNew().call(() -> ipam.network(second.id, host.id));
        assertThat(a.vlan).isNotEqualTo(b.vlan);
        assertThat(a.subnet).isNotEqualTo(b.subnet);
        assertThat(addresses).allMatch(address -> address.startsWith(a.subnet.substring(0, a.subnet.lastIndexOf('.'))));
        assertThat(addresses).doesNotContain(a.gateway);
    }

    @Test
    void eventsAreReadBackInOrderAndScopedByTenant() throws InterruptedException {
        Tenant tenant = QuarkusTransaction.requiringNew().call(() -> tenant("e" + UUID.randomUUID().toString().substring(0, 8)));
        EventCursor before = QuarkusTransaction.requiringNew().call(() -> events.now());
        QuarkusTransaction.requiringNew().run(() -> {
            events.record(tenant.id, "test.one", "tenant", tenant.id, Map.of("n", 1));
            events.record(tenant.id, "test.two", "tenant", tenant.id, Map.of("n", 2));
            events.record(null, "test.platform", "host", null, null);
        });
        // final once every older transaction (other tests', the workers') has ended
        List<Event> mine = List.of();
        for (int attempt = 0; attempt < 50 && mine.size() < 2; attempt++) {
            mine = QuarkusTransaction.requiringNew().call(() -> events.after(tenant.id, before, 10).events());
            Thread.sleep(100);
        }
        assertThat(mine).extracting(event -> event.type).containsExactly("test.one", "test.two");
        assertEquals(2, ((Number) mine.get(1).payload.get("n")).intValue());
        assertThat(mine.get(0).transaction).isEqualTo(mine.get(1).transaction).isPositive();
        List<Event> all = QuarkusTransaction.requiringNew().call(() -> events.after(null, before, 10).events());
        assertThat(all).extracting(event -> event.type).contains("test.platform");
    }

    @Test
    void operationsRefuseStatesAndProgressOutsideTheirDomain() {
        assertThatThrownBy(() -> QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery(
                "insert into operations (id, kind, target_type, state, progress, created_at, updated_at)"
                        + " values (gen_random_uuid(), 'x', 'instance', 'sleeping', 0, now(), now())").executeUpdate()))
                .rootCause().hasMessageContaining("operations_state_check");
        assertThatThrownBy(() -> QuarkusTransaction.requiringNew().run(() -> em.createNativeQuery(
                "insert into operations (id, kind, target_type, state, progress, created_at, updated_at)"
                        + " values (gen_random_uuid(), 'x', 'instance', 'pending', 101, now(), now())").executeUpdate()))
                .rootCause().hasMessageContaining("operations_progress_check");
        UUID id = UUID.randomUUID();
        QuarkusTransaction.requiringNew().run(() -> {
            Operation operation = new Operation();
            operation.id = id;
            operation.kind = "instance.start";
            operation.targetType = "instance";
            operation.state = "pending";
            operation.input = Map.of("start", true);
            operation.createdAt = Clock.now();
            operation.updatedAt = operation.createdAt;
            operation.persist();
        });
        Operation read = QuarkusTransaction.requiringNew().call(() -> Operation.findById(id));
        assertEquals(Boolean.TRUE, read.input.get("start"));
        QuarkusTransaction.requiringNew().run(() -> Operation.deleteById(id));
    }

    private Tenant tenant(String slug) {
        Tenant tenant = new Tenant();
        tenant.id = UUID.randomUUID();
        tenant.slug = slug;
        tenant.displayName = slug;
        tenant.createdAt = Clock.now();
        tenant.persist();
        return tenant;
    }

    private Host host(int cpus, long memoryMiB, BigDecimal memoryRatio) {
        Host host = new Host();
        host.id = UUID.randomUUID();
        host.name = "h" + UUID.randomUUID().toString().substring(0, 8);
        host.state = "offline";
        host.cpus = cpus;
        host.memoryMiB = memoryMiB;
        host.storageGiB = 100;
        host.cpuRatio = new BigDecimal("4.0");
        host.memoryRatio = memoryRatio;
        host.diskRatio = BigDecimal.ONE;
        host.reservedCpus = 2;
        host.reservedMemoryMiB = 1024;
        host.kinds = "jail,vm";
        host.facts = Map.of("runtimes", Map.of("zfs", "test"));
        host.createdAt = Clock.now();
        host.persist();
        return host;
    }

    private Instance instance(UUID tenantId, String name) {
        Instance instance = new Instance();
        instance.id = UUID.randomUUID();
        instance.tenantId = tenantId;
        instance.name = name;
        instance.kind = "jail";
        instance.image = "busybox";
        instance.vcpus = 1;
        instance.memoryMiB = 64;
        instance.diskGiB = 1;
        instance.desiredState = "stopped";
        instance.actualState = "stopped";
        instance.createdAt = Clock.now();
        instance.updatedAt = instance.createdAt;
        instance.persist();
        return instance;
    }
}

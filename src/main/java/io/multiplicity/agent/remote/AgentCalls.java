package io.multiplicity.agent.remote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.multiplicity.host.contract.AgentProtocol;
import io.multiplicity.host.contract.AgentProtocol.Call;
import io.multiplicity.host.contract.AgentProtocol.ImageImport;
import io.multiplicity.host.contract.HostDriver;
import io.multiplicity.host.contract.ImageStore;
import io.multiplicity.host.contract.InstanceSpec;
import io.multiplicity.host.contract.PublicAccess;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/** Turns one contract call from the wire into the call on the host's driver, and its answer back. */
final class AgentCalls {

    private static final ObjectMapper JSON = new ObjectMapper();

    private AgentCalls() {
    }

    static Object run(HostDriver host, Call call, JsonNode body) throws IOException {
        return switch (call) {
            case FACTS -> host.facts();
            case ENROLL -> {
                host.enroll(read(body, AgentProtocol.Enroll.class).hostId());
                yield null;
            }
            case PROVISION -> host.provision(read(body, InstanceSpec.class));
            case START -> host.start(read(body, InstanceSpec.class));
            case STOP -> {
                AgentProtocol.Stop stop = read(body, AgentProtocol.Stop.class);
                yield host.stop(stop.instanceId(), Duration.ofMillis(stop.timeoutMillis()));
            }
            case DESTROY -> {
                host.destroy(instance(body));
                yield null;
            }
            case STATUS -> host.status(instance(body));
            case LIST -> new AgentProtocol.Statuses(host.list());
            case RESTART -> {
                AgentProtocol.Restart restart = read(body, AgentProtocol.Restart.class);
                yield host.restart(restart.spec(), Duration.ofMillis(restart.timeoutMillis()));
            }
            case SNAPSHOT -> {
                AgentProtocol.Snapshot snapshot = read(body, AgentProtocol.Snapshot.class);
                host.snapshot(snapshot.instanceId(), snapshot.name());
                yield null;
            }
            case ROLLBACK -> {
                AgentProtocol.Rollback rollback = read(body, AgentProtocol.Rollback.class);
                yield host.rollback(rollback.spec(), rollback.name());
            }
            case DELETE_SNAPSHOT -> {
                AgentProtocol.Snapshot snapshot = read(body, AgentProtocol.Snapshot.class);
                host.deleteSnapshot(snapshot.instanceId(), snapshot.name());
                yield null;
            }
            case RESIZE -> host.resize(read(body, InstanceSpec.class));
            case USAGE -> host.usage(instance(body));
            case USAGE_OF -> new AgentProtocol.Usages(host.usageOf(
                    read(body, AgentProtocol.InstanceRefs.class).instanceIds()));
            case NETWORK_EGRESS -> {
                AgentProtocol.Egress egress = read(body, AgentProtocol.Egress.class);
                host.networkEgress(egress.tenantNetwork(), egress.egress());
                yield null;
            }
            case PUBLISH -> {
                host.publish(read(body, PublicAccess.class));
                yield null;
            }
            case IMAGE_HAS -> {
                AgentProtocol.ImageVersion version = read(body, AgentProtocol.ImageVersion.class);
                yield new AgentProtocol.Value<>(host.images().has(version.key(), version.version()));
            }
            case IMAGE_DESTROY_VERSION -> {
                AgentProtocol.ImageVersion version = read(body, AgentProtocol.ImageVersion.class);
                host.images().destroyVersion(version.key(), version.version());
                yield null;
            }
            case IMAGE_DIGEST -> {
                AgentProtocol.ImageVersion version = read(body, AgentProtocol.ImageVersion.class);
                yield new AgentProtocol.Value<>(host.images().digest(version.key(), version.version()));
            }
            case IMAGE_BUILT_INS -> new AgentProtocol.BuiltIns(host.images().builtIns());
            case IMAGE_VERSIONS -> new AgentProtocol.Versions(
                    host.images().versions(read(body, AgentProtocol.ImageKey.class).key()));
            case IMAGE_VERSION_GUID -> {
                AgentProtocol.ImageVersion version = read(body, AgentProtocol.ImageVersion.class);
                yield new AgentProtocol.Value<>(host.images().versionGuid(version.key(), version.version()));
            }
        };
    }

    static Object importImage(ImageStore store, ImageImport arguments, Path file) {
        return switch (arguments.source()) {
            case ROOTFS -> store.importRootfs(arguments.key(), arguments.version(), file, arguments.limits());
            case DISK -> store.importDisk(arguments.key(), arguments.version(), file, arguments.format(), arguments.boot(),
                    arguments.limits());
            case KERNEL -> store.importKernel(arguments.key(), arguments.version(), file, arguments.boot(),
                    arguments.limits());
        };
    }

    private static java.util.UUID instance(JsonNode body) throws IOException {
        return read(body, AgentProtocol.InstanceRef.class).instanceId();
    }

    private static <T> T read(JsonNode body, Class<T> type) throws IOException {
        if (body == null || body.isNull()) {
            throw new IllegalArgumentException("the call needs arguments");
        }
        return JSON.treeToValue(body, type);
    }
}

package io.multiplicity.agent.jail;

import io.multiplicity.agent.driver.AgentConfig;
import io.multiplicity.agent.network.HostNetwork;
import io.multiplicity.agent.network.TenantNetworks.Uplink;
import io.multiplicity.agent.support.Command;
import io.multiplicity.host.contract.InstanceSpec;
import io.multiplicity.host.contract.InstanceSpec.NetworkAttachment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * A throw-away jail host for tests and benchmarks: a private data directory under
 * {@code target/}, a pool and a bridge prefix with random names, all removed by {@link #close()}.
 * {@link #unavailableReason()} says why real jails cannot run here (then tests skip loudly).
 */
public final class JailHost implements AutoCloseable {

    private final Path directory;
    private AgentConfig config;
    private final List<UUID> created = new ArrayList<>();
    private JailDriver driver;

    public JailHost(String purpose, int pidsLimit) {
        this(purpose, pidsLimit, 4);
    }

    /** A host whose pool file is {@code poolGiB} big (sparse). */
    public JailHost(String purpose, int pidsLimit, int poolGiB) {
        String suffix = HexFormat.of().toHexDigits((short) ThreadLocalRandom.current().nextInt());
        this.directory = Path.of("target", purpose + "-" + suffix).toAbsolutePath();
        this.config = AgentConfig.defaults().withDataDirectory(directory)
                .withPool("mpt" + suffix, poolGiB).withBridge("mpt" + suffix).withPidsLimit(pidsLimit)
                .withConsoleKeeper(Path.of("target", "native", "console-keeper"));
    }

    /** Keeps {@code count} clones of each jail image version in demand made ahead (before {@link #start()}). */
    public JailHost withWarmClones(int count) {
        config = config.withWarmClones(count);
        return this;
    }

    /** Gives the host's tenant networks this way out (before {@link #start()}). */
    public JailHost withUplink(Uplink uplink) {
        config = config.withUplink(uplink);
        return this;
    }

    /** Why this machine cannot run real jails, or null when it can. */
    public static String unavailableReason() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "jails need root (running as " + System.getProperty("user.name") + ")";
        }
        for (String program : List.of("zfs", "zpool", "runc", "ip", "iptables", "make", "cc")) {
            if (!Command.run("sh", "-c", "command -v " + program).ok()) {
                return program + " is not installed (scripts/host-deps.sh installs the host packages)";
            }
        }
        Command.Result built = Command.run("make", "-s", "-C", "src/main/c");
        if (!built.ok() || !Files.isExecutable(Path.of("target", "native", "console-keeper"))
                || !Files.isExecutable(Path.of("target", "native", "release-tty"))) {
            return "cannot build the console keeper: " + built.stderr();
        }
        return null;
    }

    public JailDriver start() {
        driver = new JailDriver(config);
        if (driver.facts().problems().containsKey("jail")) {
            throw new IllegalStateException("host not ready: " + driver.facts().problems());
        }
        return driver;
    }

    public AgentConfig config() {
        return config;
    }

    public JailDriver driver() {
        return driver;
    }

    /** A jail spec on tenant network {@code network} with address 10.231.{network}.{host}/24. */
    public InstanceSpec jail(String name, UUID tenant, int network, int host, int memoryMiB, int diskGiB) {
        UUID id = UUID.randomUUID();
        created.add(id);
        String subnet = "10.231." + network + ".";
        return new InstanceSpec(id, tenant, name, "jail", "busybox", 1, memoryMiB, diskGiB,
                new NetworkAttachment(network, subnet + host, 24, subnet + "1"));
    }

    /**
     * Whether a network interface of that name is one this host made: its bridges, or the host end
     * of one of its instances' links (other tests on the same machine make interfaces of their own).
     */
    public boolean made(String link) {
        String name = link.contains("@") ? link.substring(0, link.indexOf('@')) : link;
        return name.startsWith(config.bridge()) || created.stream()
                .anyMatch(id -> name.startsWith("mj" + id.toString().replace("-", "").substring(0, 12)));
    }

    /** Destroys the instance {@code id} at {@link #close()} too (for specs not made by {@link #jail}). */
    public void track(UUID id) {
        created.add(id);
    }

    @Override
    public void close() {
        if (driver != null) {
            for (UUID id : created) {
                try {
                    driver.destroy(id);
                } catch (RuntimeException e) {
                    System.err.println("cleanup of " + id + " failed: " + e.getMessage());
                }
            }
            driver.close();
            driver.network().removeAll();
            try {
                driver.storage().destroyPool();
            } catch (RuntimeException e) {
                System.err.println("cannot destroy pool " + config.poolName() + ", leaving " + directory + ": "
                        + e.getMessage());
                return;
            }
        }
        deleteTree(directory);
    }

    public static void deleteTree(Path path) {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(path)) {
            for (Path each : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(each);
            }
        } catch (IOException e) {
            System.err.println("cannot delete " + path + ": " + e.getMessage());
        }
    }

    public static HostNetwork networkOf(JailDriver driver) {
        return driver.network();
    }
}

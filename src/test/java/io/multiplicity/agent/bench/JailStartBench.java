package io.multiplicity.agent.bench;

import io.multiplicity.agent.jail.BusyboxImageBuilder;
import io.multiplicity.agent.jail.JailDriver;
import io.multiplicity.agent.jail.JailHost;
import io.multiplicity.agent.jail.OciBundle;
import io.multiplicity.host.contract.InstanceSpec;
import io.multiplicity.host.contract.InstanceStatus;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Jail start latency and idle footprint.
 *
 * <p>Latency: from the {@code provision} call to {@code start} returning (the jail's init has been
 * executed by the runtime), over {@link #SAMPLES} jails, including the ZFS clone, the network
 * namespace and veth pair, the console keeper and the runtime. The peer is {@code runc run -d} of
 * a clone of the same image with the same configuration but no console and no veth pair, started
 * directly. Footprint: host memory per idle busybox jail with {@link #IDLE_JAILS}
 * running.
 */
public final class JailStartBench {

    /** Jails measured; {@code JAIL_START_SAMPLES} for a shorter run. */
    static final int SAMPLES = fromEnvironment("JAIL_START_SAMPLES", 50);
    static final int WARMUP = 5;
    /** Jails running for the footprint; {@code JAIL_START_IDLE=0} skips it. */
    static final int IDLE_JAILS = fromEnvironment("JAIL_START_IDLE", 200);

    private static int fromEnvironment(String name, int otherwise) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? otherwise : Integer.parseInt(value.strip());
    }

    private JailStartBench() {
    }

    public static void main(String[] arguments) throws Exception {
        String reason = JailHost.unavailableReason();
        if (reason != null) {
            System.out.println("jail-start: cannot run here: " + reason);
            System.out.println("{\"bench\":\"jail-start\",\"skipped\":\"" + reason.replace("\"", "'") + "\"}");
            return;
        }
        try (JailHost host = new JailHost("bench", 1024, 8).withWarmClones(2)) {
            JailDriver driver = host.start();
            UUID tenant = UUID.randomUUID();
            List<InstanceSpec> jails = new ArrayList<>();
            long availableBefore = memAvailableKiB();
            long fuseBefore = rssKiB("zfs-fuse");

            double[] ours = new double[SAMPLES];
            Map<String, List<Double>> steps = new LinkedHashMap<>();
            int fromWarmClones = 0;
            for (int i = 0; i < WARMUP + SAMPLES; i++) {
                InstanceSpec spec = spec(host, tenant, jails.size());
                jails.add(spec);
                // Jails are asked for one at a time, each once the pool of clones made ahead has
                // made up for the last (a burst larger than the pool clones, as without a pool).
                driver.awaitWarmClones(BusyboxImageBuilder.IMAGE, BusyboxImageBuilder.VERSION, Duration.ofSeconds(120));
                long started = System.nanoTime();
                driver.provision(spec);
                InstanceStatus status = driver.start(spec);
                double millis = (System.nanoTime() - started) / 1e6;
                if (status.state() != InstanceStatus.State.RUNNING) {
                    throw new IllegalStateException("jail did not start: " + status);
                }
                if (i >= WARMUP) {
                    ours[i - WARMUP] = millis;
                    Map<String, Double> spans = driver.lastStartSpans(spec.id());
                    spans.forEach((step, value) -> steps.computeIfAbsent(step, key -> new ArrayList<>()).add(value));
                    if (spans.containsKey("clone made ahead")) {
                        fromWarmClones++;
                    }
                }
            }

            driver.awaitWarmClones(BusyboxImageBuilder.IMAGE, BusyboxImageBuilder.VERSION, Duration.ofSeconds(120));
            double[] peer = peerRuns(host, driver);

            while (jails.size() < IDLE_JAILS) {
                InstanceSpec spec = spec(host, tenant, jails.size());
                jails.add(spec);
                driver.provision(spec);
                driver.start(spec);
            }
            Thread.sleep(3000);
            long running = driver.list().stream().filter(s -> s.state() == InstanceStatus.State.RUNNING).count();
            long availableAfter = memAvailableKiB();
            long cgroupBytes = 0;
            for (InstanceSpec spec : jails) {
                cgroupBytes += driver.usage(spec.id()).memoryBytes();
            }
            long keeperKiB = pssKiB("console-keeper");
            long fuseGrowthKiB = Math.max(0, rssKiB("zfs-fuse") - fuseBefore);
            double accountedMiB = (cgroupBytes / 1024.0 + keeperKiB + fuseGrowthKiB) / 1024.0 / running;
            double systemMiB = (availableBefore - availableAfter) / 1024.0 / running;

            Arrays.sort(ours);
            Arrays.sort(peer);
            double p50 = percentile(ours, 50);
            double p99 = percentile(ours, 99);
            double peer50 = percentile(peer, 50);
            double peer99 = percentile(peer, 99);
            System.out.println();
            System.out.printf(Locale.ROOT, "%-46s %10s %10s %10s%n", "jail start (" + SAMPLES + " samples)", "p50 ms", "p99 ms",
                    "max ms");
            System.out.printf(Locale.ROOT, "%-46s %10.1f %10.1f %10.1f%n", "provision+start (clone, netns, keeper, " + driver.runtimeName() + ")",
                    p50, p99, ours[ours.length - 1]);
            System.out.printf(Locale.ROOT, "%-46s %10.1f %10.1f %10.1f%n", "peer: runc run -d of the same root", peer50, peer99,
                    peer[peer.length - 1]);
            System.out.printf(Locale.ROOT, "%-46s %10.2f%n", "ratio (p50 / peer p50)", p50 / peer50);
            System.out.printf(Locale.ROOT, "jails provisioned from a clone made ahead: %d of %d (pool of %d per image version)%n",
                    fromWarmClones, SAMPLES, host.config().warmClones());
            System.out.println();
            System.out.printf(Locale.ROOT, "%-46s %10s %10s%n", "where the time goes (per step)", "p50 ms", "samples");
            for (Map.Entry<String, List<Double>> step : steps.entrySet()) {
                double[] values = step.getValue().stream().mapToDouble(Double::doubleValue).sorted().toArray();
                System.out.printf(Locale.ROOT, "  %-44s %10.1f %10d%n", step.getKey(), percentile(values, 50), values.length);
            }
            System.out.println();
            System.out.printf(Locale.ROOT, "idle busybox jails running: %d%n", running);
            System.out.printf(Locale.ROOT, "  jail cgroups (memory.usage_in_bytes): %8.2f MiB per jail%n",
                    cgroupBytes / 1048576.0 / running);
            System.out.printf(Locale.ROOT, "  console keepers (PSS):                %8.2f MiB per jail%n", keeperKiB / 1024.0 / running);
            System.out.printf(Locale.ROOT, "  zfs-fuse growth (RSS):                %8.2f MiB per jail%n",
                    fuseGrowthKiB / 1024.0 / running);
            System.out.printf(Locale.ROOT, "  accounted total:                      %8.2f MiB per jail%n", accountedMiB);
            System.out.printf(Locale.ROOT, "  host MemAvailable drop (all causes):  %8.2f MiB per jail%n", systemMiB);
            System.out.println();

            long cleanup = System.nanoTime();
            for (InstanceSpec spec : jails) {
                driver.destroy(spec.id());
            }
            System.out.printf(Locale.ROOT, "destroyed %d jails in %.1f s%n", jails.size(), (System.nanoTime() - cleanup) / 1e9);

            DebianSsh debian = debianToSsh(host, driver);
            System.out.println();
            System.out.printf(Locale.ROOT, "%-46s %10s   %s%n", "debian jail start to SSH-able (ms)",
                    debian.millis() == null ? "-" : String.format(Locale.ROOT, "%.0f", debian.millis()), debian.note());
            System.out.printf(Locale.ROOT, "%-46s %10.1f   (p50 above, same run)%n", "busybox jail provision+start (ms)", p50);
            System.out.println();
            System.out.printf(Locale.ROOT,
                    "{\"bench\":\"jail-start\",\"p50_ms\":%.1f,\"p99_ms\":%.1f,\"peer\":\"runc\",\"peer_p50_ms\":%.1f,"
                            + "\"ratio\":%.2f,\"warm_clones\":%d,\"from_warm_clones\":%d,\"idle_jail_host_mib\":%.2f,"
                            + "\"idle_jail_memavailable_mib\":%.2f,\"jails\":%d,\"debian_ssh_ms\":%s}%n",
                    p50, p99, peer50, p50 / peer50, host.config().warmClones(), fromWarmClones, accountedMiB, systemMiB,
                    running, debian.millis() == null ? "null" : String.format(Locale.ROOT, "%.0f", debian.millis()));
        }
    }

    private static InstanceSpec spec(JailHost host, UUID tenant, int index) {
        int network = 200 + index / 250;
        return host.jail("bench-" + index, tenant, network, 2 + index % 250, 64, 1);
    }

    /** {@code runc run -d} of one clone of the image with the jail's configuration minus console and veth. */
    private static double[] peerRuns(JailHost host, JailDriver driver) throws Exception {
        UUID id = UUID.randomUUID();
        Path root = driver.storage().cloneInstance(id, "busybox", BusyboxImageBuilder.VERSION, 1);
        Path bundle = host.config().dataDirectory().resolve("peer");
        Path state = host.config().dataDirectory().resolve("run").resolve("peer-oci");
        InstanceSpec spec = new InstanceSpec(id, UUID.randomUUID(), "peer", "jail", "busybox", 1, 64, 1, null);
        int idBase = driver.storage().imageIdBase("busybox");
        // Datasets are mounted where only host root may enter; like a jail, the peer reaches its
        // root through a directory its own root owns (a bind mount, made once, outside the timing).
        Path gate = host.config().dataDirectory().resolve("peer-gate");
        Path gateRoot = gate.resolve("root");
        Files.createDirectories(gateRoot);
        Files.setAttribute(gate, "unix:uid", Math.max(0, idBase));
        Files.setAttribute(gate, "unix:gid", Math.max(0, idBase));
        Files.setPosixFilePermissions(gate, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        io.multiplicity.agent.support.Command.run("mount", "--bind", root.toString(), gateRoot.toString()).check();
        Map<String, Object> config = new LinkedHashMap<>(OciBundle.config(spec, gateRoot, "/multiplicity-peer/" + id, 1024,
                idBase));
        @SuppressWarnings("unchecked")
        Map<String, Object> process = new LinkedHashMap<>((Map<String, Object>) config.get("process"));
        process.put("terminal", false);
        config.put("process", process);
        OciBundle.write(bundle, config);
        double[] samples = new double[SAMPLES];
        for (int i = 0; i < WARMUP + SAMPLES; i++) {
            String name = "peer-" + i;
            ProcessBuilder builder = new ProcessBuilder("runc", "--root", state.toString(), "run", "-d", "--bundle",
                    bundle.toString(), name).redirectInput(new File("/dev/null"))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
            long started = System.nanoTime();
            int exit = builder.start().waitFor();
            double millis = (System.nanoTime() - started) / 1e6;
            if (exit != 0) {
                throw new IllegalStateException("runc run failed for the peer");
            }
            if (i >= WARMUP) {
                samples[i - WARMUP] = millis;
            }
            new ProcessBuilder("runc", "--root", state.toString(), "delete", "--force", name)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start().waitFor();
        }
        io.multiplicity.agent.support.Command.run("umount", gateRoot.toString()).check();
        driver.storage().destroyInstance(id);
        return samples;
    }

    /** The Debian jail's time from start to answering SSH, or null with why it was not measured. */
    record DebianSsh(Double millis, String note) {
    }

    /**
     * Imports the built-in Debian root file system (built by {@code scripts/build-image.sh
     * debian-12}), starts a jail of it with an SSH key and tries {@code ssh root@<address> hostname}
     * until it answers the jail's name: the time from the start call to that answer.
     */
    private static DebianSsh debianToSsh(JailHost host, JailDriver driver) throws Exception {
        if ("no".equals(System.getenv("JAIL_START_DEBIAN"))) {
            return new DebianSsh(null, "not measured: JAIL_START_DEBIAN=no");
        }
        Path archive = Path.of("data/images/built-in/debian-12.tar.zst");
        if (!Files.isRegularFile(archive)) {
            return new DebianSsh(null, "not measured: " + archive + " is missing (bash scripts/build-image.sh debian-12)");
        }
        if (!io.multiplicity.agent.support.Command.run("sh", "-c", "command -v ssh && command -v ssh-keygen").ok()) {
            return new DebianSsh(null, "not measured: no ssh client (scripts/host-deps.sh installs openssh-client)");
        }
        Path key = host.config().dataDirectory().resolve("bench-key");
        io.multiplicity.agent.support.Command.check("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString());
        long importing = System.nanoTime();
        new io.multiplicity.agent.image.ZfsImageStore(driver.storage(), driver.usesUserNamespaces() ? JailDriver.ID_BASE : -1)
                .importRootfs("debian", 1, archive, new io.multiplicity.host.contract.ImageStore.Limits(4L << 30, 200_000, false));
        System.out.printf(Locale.ROOT, "debian: image imported in %.1f s%n", (System.nanoTime() - importing) / 1e9);
        String address = "10.231.250.10";
        InstanceSpec spec = new InstanceSpec(UUID.randomUUID(), UUID.randomUUID(), "deb-bench", "jail", "debian", 1, 512, 4,
                new InstanceSpec.NetworkAttachment(250, address, 24, "10.231.250.1", null, false),
                new io.multiplicity.host.contract.InstanceMetadata(
                        List.of(Files.readString(Path.of(key + ".pub")).strip()), null));
        host.track(spec.id());
        long started = System.nanoTime();
        InstanceStatus status = driver.start(spec);
        if (status.state() != InstanceStatus.State.RUNNING) {
            return new DebianSsh(null, "not measured: the Debian jail did not start: " + status);
        }
        long deadline = started + Duration.ofSeconds(300).toNanos();
        String answer = "";
        while (System.nanoTime() < deadline) {
            io.multiplicity.agent.support.Command.Result ssh = io.multiplicity.agent.support.Command.run(List.of("timeout",
                    "10", "ssh", "-i", key.toString(), "-o", "StrictHostKeyChecking=no", "-o",
                    "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o",
                    "ConnectTimeout=5", "-o", "LogLevel=ERROR", "root@" + address, "hostname"), null);
            answer = ssh.stdout().strip();
            if (ssh.ok() && answer.equals(spec.name())) {
                double millis = (System.nanoTime() - started) / 1e6;
                driver.destroy(spec.id());
                return new DebianSsh(millis, "(start call to 'ssh root@" + address + " hostname' answering, polled)");
            }
            Thread.sleep(200);
        }
        driver.destroy(spec.id());
        return new DebianSsh(null, "not measured: no SSH answer within 300 s (last: " + answer + ")");
    }

    static double percentile(double[] sorted, int percent) {
        int index = (int) Math.ceil(percent / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    private static long memAvailableKiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
            if (line.startsWith("MemAvailable:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }

    private static long rssKiB(String command) {
        return sumStatus(command, "/status", "VmRSS:");
    }

    private static long pssKiB(String command) {
        return sumStatus(command, "/smaps_rollup", "Pss:");
    }

    private static long sumStatus(String command, String file, String field) {
        long total = 0;
        File[] processes = new File("/proc").listFiles((dir, name) -> name.chars().allMatch(Character::isDigit));
        if (processes == null) {
            return 0;
        }
        for (File process : processes) {
            try {
                String comm = Files.readString(process.toPath().resolve("comm")).strip();
                if (!comm.equals(command)) {
                    continue;
                }
                for (String line : Files.readAllLines(Path.of(process.getPath() + file))) {
                    if (line.startsWith(field)) {
                        total += Long.parseLong(line.replaceAll("[^0-9]", ""));
                        break;
                    }
                }
            } catch (IOException | RuntimeException e) {
                // gone meanwhile
            }
        }
        return total;
    }
}

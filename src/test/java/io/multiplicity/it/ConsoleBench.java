package io.multiplicity.it;

import static io.restassured.RestAssured.given;

import io.multiplicity.support.PostgresTestResource;
import io.multiplicity.support.TestKeycloak;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Console benchmarks on the packaged application, a real jail and a real WebSocket client:
 * {@code rtt} (keystroke to echo through the gateway beside the same on the console keeper's socket)
 * and {@code throughput} (MB/s from the console to a WebSocket client, beside the same read straight
 * from the console keeper's socket, for output written in blocks and one line per write).
 */
public final class ConsoleBench {

    private static final int KEYSTROKES = 1000;

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "rtt";
        var postgres = PostgresTestResource.server();
        String jdbc = "jdbc:postgresql://localhost:" + postgres.getPort() + "/postgres";
        // A short name: the jails' console sockets live under it, and unix socket paths are short.
        Path work = Files.createDirectories(TestKeycloak.projectRoot()
                .resolve("target/bc-" + Long.toString(System.currentTimeMillis() / 1000, 36)));
        // The reconciler reattaches the broker to every running console; it would take the console back
        // from the benchmark's direct reader.
        Map<String, String> environment = new java.util.HashMap<>(Map.of("MULTIPLICITY_HOSTS_RECONCILE_INTERVAL", "1h"));
        String panelOptions = System.getenv("MULTIPLICITY_BENCH_PANEL_JAVA_OPTIONS");
        if (panelOptions != null && !panelOptions.isBlank()) {
            environment.put("JAVA_TOOL_OPTIONS", panelOptions);     // e.g. a flight recording of the panel
        }
        PackagedApplication app = new PackagedApplication(jdbc, work.resolve("app.log"), environment).start();
        String instance = null;
        String token = TestKeycloak.token("bob");
        try {
            Response accepted = given().auth().oauth2(token).contentType(ContentType.JSON)
                    .body(Map.of("name", "bench-" + UUID.randomUUID().toString().substring(0, 4), "kind", "jail",
                            "image", "busybox", "type", "j1.nano", "start", true))
                    .post(app.url() + "/api/v1/instances");
            if (accepted.statusCode() != 202) {
                throw new IllegalStateException("cannot create the jail: " + accepted.asString());
            }
            instance = accepted.path("target");
            awaitRunning(app, token, accepted.path("id"));
            if (mode.equals("throughput")) {
                throughput(app, token, instance, work.resolve("data"));
            } else {
                rtt(app, token, instance, work.resolve("data"));
            }
        } finally {
            if (instance != null) {
                given().auth().oauth2(token).delete(app.url() + "/api/v1/instances/" + instance);
                Thread.sleep(3000);
            }
            app.close();
            PackagedApplication.removeHostTraces(work.resolve("data"));
            postgres.close();
        }
    }

    /** Measured rounds of {@link #KEYSTROKES} each way, in turn, so that the machine's moods fall on both alike. */
    private static final int RTT_ROUNDS = 3;

    private static void rtt(PackagedApplication app, String token, String instance, Path dataDir) throws Exception {
        Path socket = dataDir.resolve("run").resolve(instance + ".console");
        long[] direct = new long[RTT_ROUNDS * KEYSTROKES];
        long[] gateway = new long[RTT_ROUNDS * KEYSTROKES];
        // Unmeasured keystrokes first: the panel's and the client's JIT compile the path, as on a server
        // that has run a while.
        keystrokesThroughGateway(app, token, instance, new long[2 * KEYSTROKES], 0, 2 * KEYSTROKES);
        for (int round = 0; round < RTT_ROUNDS; round++) {
            keystrokesDirect(socket, direct, round * KEYSTROKES, KEYSTROKES);
            keystrokesThroughGateway(app, token, instance, gateway, round * KEYSTROKES, KEYSTROKES);
        }

        double directP50 = percentile(direct, 50);
        double directP99 = percentile(direct, 99);
        double gatewayP50 = percentile(gateway, 50);
        double gatewayP99 = percentile(gateway, 99);
        System.out.println();
        System.out.printf(Locale.ROOT, "%-34s %10s %10s%n", "keystroke to echo (" + direct.length + " keys)", "p50 ms", "p99 ms");
        System.out.printf(Locale.ROOT, "%-34s %10.3f %10.3f%n", "console keeper socket (direct)", directP50, directP99);
        System.out.printf(Locale.ROOT, "%-34s %10.3f %10.3f%n", "WebSocket through the gateway", gatewayP50, gatewayP99);
        System.out.printf(Locale.ROOT, "%-34s %10.3f %10.3f%n", "added by the gateway", gatewayP50 - directP50,
                gatewayP99 - directP99);
        System.out.printf(Locale.ROOT,
                "{\"bench\":\"console-rtt\",\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"keystrokes\":%d,\"peer\":\"console-socket\","
                        + "\"peer_p50_ms\":%.3f,\"peer_p99_ms\":%.3f,\"ratio\":%.2f,\"added_p50_ms\":%.3f,"
                        + "\"target_added_p50_ms\":1.0,\"load_average\":%.2f}%n",
                gatewayP50, gatewayP99, gateway.length, directP50, directP99, directP50 == 0 ? 0 : gatewayP50 / directP50,
                gatewayP50 - directP50, loadAverage());
    }

    /**
     * Types {@code count} keystrokes straight into the console keeper's socket, each once the echo of
     * the one before arrived, and records each round trip into {@code into} from {@code from}.
     * Connecting takes the console from the broker, which reconnects when the next WebSocket client attaches.
     */
    private static void keystrokesDirect(Path socket, long[] into, int from, int count) throws IOException, InterruptedException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            drain(channel, Duration.ofMillis(500));
            ByteBuffer in = ByteBuffer.allocate(65536);
            for (int i = 0; i < count; i++) {
                if (i % 100 == 99) {
                    channel.write(ByteBuffer.wrap(new byte[] {0x15}));      // ^U: the shell's line stays short
                    drain(channel, Duration.ofMillis(50));
                }
                long start = System.nanoTime();
                channel.write(ByteBuffer.wrap(new byte[] {'a'}));
                boolean seen = false;
                while (!seen) {
                    in.clear();
                    int read = channel.read(in);
                    if (read < 0) {
                        throw new IOException("console closed");
                    }
                    for (int j = 0; j < read; j++) {
                        seen |= in.get(j) == 'a';
                    }
                }
                into[from + i] = System.nanoTime() - start;
            }
            channel.write(ByteBuffer.wrap(new byte[] {0x15}));
        }
    }

    /** The same keystrokes through a console ticket and the gateway, with a WebSocket client. */
    private static void keystrokesThroughGateway(PackagedApplication app, String token, String instance, long[] into, int from,
            int count) throws Exception {
        Client client = Client.open(app, token, instance);
        try {
            client.awaitControl("writer", Duration.ofSeconds(10));
            Thread.sleep(500);
            client.chunks.clear();
            for (int i = 0; i < count; i++) {
                if (i % 100 == 99) {
                    client.send(new byte[] {0x15});
                    Thread.sleep(50);
                    client.chunks.clear();
                }
                long start = System.nanoTime();
                client.send(new byte[] {'a'});
                boolean seen = false;
                while (!seen) {
                    byte[] chunk = client.chunks.poll(10, TimeUnit.SECONDS);
                    if (chunk == null) {
                        throw new IOException("no echo through the gateway");
                    }
                    for (byte b : chunk) {
                        seen |= b == 'a';
                    }
                }
                into[from + i] = System.nanoTime() - start;
            }
            client.send(new byte[] {0x15});
        } finally {
            client.close();
        }
    }

    private static final long MEGABYTES = 200;

    /** What a jail's console prints in a run: one program's output, between two markers. */
    private enum Workload {
        /**
         * The headline: 200 MB of a log file with full 80-column lines (79 characters and the newline),
         * {@code cat} of a 10 MB file (in the jail's memory) 20 times, which writes to the terminal in
         * blocks. The file is written before the run.
         */
        LOG(80, "log-80", true),
        /** The same with 40-byte lines: twice the newlines, which the PTY turns into CR LF one by one. */
        SHORT_LINES(40, "log-40", true),
        /** 200 MB written one 40-byte line per write, as busybox's {@code head} writes to a terminal. */
        LINES(40, "", false);

        final int lineBytes;
        final String file;
        final boolean blocks;

        Workload(int lineBytes, String file, boolean blocks) {
            this.lineBytes = lineBytes;
            this.file = file;
            this.blocks = blocks;
        }

        private String line() {
            return "x".repeat(lineBytes - 1);
        }

        /** The shell line that prints the markers around the program (quoted, so their echo does not match). */
        byte[] command() {
            String program;
            String setup = "";
            if (blocks) {
                String path = "/dev/shm/" + file;
                setup = "yes " + line() + " | head -c " + MEGABYTES * 50_000 + " > " + path + "; ";
                program = "cat" + (" " + path).repeat(20);
            } else {
                program = "yes " + line() + " | head -c " + MEGABYTES * 1_000_000;
            }
            return (setup + "echo BEGIN-OF-''BENCH; " + program + "; echo END-OF-''BENCH\n").getBytes(StandardCharsets.UTF_8);
        }

        /** Every {@code x} the program prints: the count that says the output arrived complete. */
        long expectedPayload() {
            return MEGABYTES * 1_000_000 / lineBytes * (lineBytes - 1);
        }

        String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', ' ') + " (" + lineBytes + " B lines"
                    + (blocks ? ", cat" : ", a write each") + ")";
        }
    }

    /** One measured run. */
    private record Run(long bytes, long payload, double seconds, boolean complete, long chunks, double panelCpu,
            double clientCpu, double panelSystemCpu) {
        double rate() {
            return bytes / 1e6 / seconds;
        }

        long averageChunk() {
            return chunks == 0 ? 0 : bytes / chunks;
        }
    }

    /** Unmeasured runs first: the panel's and the client's JIT compile the path, as on a server that has run a while. */
    private static final int WARM_UPS = 3;
    private static final int MAX_WARM_UPS = 10;
    /** A warm-up run during which the panel's JIT compilers used at most this much CPU ends the warm-up. */
    private static final double SETTLED_COMPILING_SECONDS = 0.1;
    /** The JIT compiler threads' name, as {@link #cpuByThread} sums them. */
    private static final String COMPILER_THREADS = "C# CompilerThre";
    /** Measured runs of each block workload, direct and through the gateway in turn; the median is reported. */
    private static final int ROUNDS = 3;

    private static void throughput(PackagedApplication app, String token, String instance, Path dataDir) throws Exception {
        Path socket = dataDir.resolve("run").resolve(instance + ".console");
        Map<Workload, List<Run>> direct = new java.util.EnumMap<>(Workload.class);
        Map<Workload, List<Run>> gateway = new java.util.EnumMap<>(Workload.class);
        Map<Workload, List<Double>> ptyCeiling = new java.util.EnumMap<>(Workload.class);
        for (Workload workload : List.of(Workload.LOG, Workload.SHORT_LINES)) {
            List<Double> rates = new ArrayList<>();
            for (int round = 0; round < ROUNDS; round++) {
                rates.add(ptyCeiling(workload.lineBytes));
            }
            ptyCeiling.put(workload, rates);
        }
        List<Run> warmUps = new ArrayList<>();
        List<Double> warmUpCompiling = new ArrayList<>();
        // At least WARM_UPS, and on until a run leaves the panel's JIT compilers nearly idle (at most MAX_WARM_UPS).
        while (warmUps.size() < MAX_WARM_UPS
                && (warmUps.size() < WARM_UPS || warmUpCompiling.getLast() > SETTLED_COMPILING_SECONDS)) {
            double compilingBefore = cpuByThread(app.pid()).getOrDefault(COMPILER_THREADS, 0.0);
            warmUps.add(measured(app, () -> throughGateway(app, token, instance, Workload.LOG)));
            warmUpCompiling.add(cpuByThread(app.pid()).getOrDefault(COMPILER_THREADS, 0.0) - compilingBefore);
        }
        System.out.println("warm-up runs: " + warmUps.size() + ", the panel's JIT compilers busy in each: " + String.join(" / ",
                warmUpCompiling.stream().map(seconds -> String.format(Locale.ROOT, "%.2fs", seconds)).toList()));
        Map<String, Double> panelThreads = new java.util.TreeMap<>();
        for (Workload workload : Workload.values()) {
            List<Run> directRuns = new ArrayList<>();
            List<Run> gatewayRuns = new ArrayList<>();
            // The slow line-by-line workload only once: it shows the PTY's bound, not the gateway's.
            for (int round = 0; round < (workload.blocks ? ROUNDS : 1); round++) {
                directRuns.add(measured(app, () -> direct(socket, workload)));
                Map<String, Double> before = cpuByThread(app.pid());
                gatewayRuns.add(measured(app, () -> throughGateway(app, token, instance, workload)));
                if (workload == Workload.LOG) {
                    cpuByThread(app.pid()).forEach((name, seconds) ->
                            panelThreads.merge(name, seconds - before.getOrDefault(name, 0.0), Double::sum));
                }
            }
            direct.put(workload, directRuns);
            gateway.put(workload, gatewayRuns);
        }
        System.out.println();
        String format = "%-62s %12s %14s %9s %9s %10s %18s %10s  %s%n";
        System.out.printf(Locale.ROOT, format, "busybox jail, " + MEGABYTES + " MB of output (median run)", "bytes", "x (expected)",
                "seconds", "MB/s", "avg chunk", "panel cpu", "client cpu", "every run, MB/s");
        printRow(format, "(warm-up: log through the gateway)", median(warmUps), warmUps, null);
        for (Workload workload : Workload.values()) {
            if (ptyCeiling.containsKey(workload)) {
                System.out.printf(Locale.ROOT, format, workload.label() + ": a bare PTY, no jail", "", "", "",
                        String.format(Locale.ROOT, "%.1f", medianOf(ptyCeiling.get(workload))), "", "", "",
                        rates(ptyCeiling.get(workload)));
            }
            printRow(format, workload.label() + ": keeper socket (direct)", median(direct.get(workload)), direct.get(workload),
                    workload);
            printRow(format, workload.label() + ": WebSocket through the gateway", median(gateway.get(workload)),
                    gateway.get(workload), workload);
        }
        System.out.println("panel CPU by thread over the " + ROUNDS + " log runs through the gateway: " + String.join(", ",
                panelThreads.entrySet().stream().filter(e -> e.getValue() >= 0.05)
                        .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                        .map(e -> String.format(Locale.ROOT, "%s %.2fs", e.getKey(), e.getValue())).toList()));
        Run log = median(gateway.get(Workload.LOG));
        Run logPeer = median(direct.get(Workload.LOG));
        Run shortLines = median(gateway.get(Workload.SHORT_LINES));
        Run lines = median(gateway.get(Workload.LINES));
        System.out.printf(Locale.ROOT,
                "{\"bench\":\"console-throughput\",\"mb_per_s\":%.1f,\"line_bytes\":%d,\"runs\":%d,\"bytes\":%d,\"seconds\":%.2f,"
                        + "\"complete\":%s,\"peer\":\"console-socket\",\"peer_mb_per_s\":%.1f,\"ratio\":%.2f,"
                        + "\"pty_mb_per_s\":%.1f,\"runs_mb_per_s\":[%s],\"peer_runs_mb_per_s\":[%s],"
                        + "\"short_lines_mb_per_s\":%.1f,\"short_lines_complete\":%s,\"short_lines_peer_mb_per_s\":%.1f,"
                        + "\"short_lines_pty_mb_per_s\":%.1f,\"lines_mb_per_s\":%.1f,\"lines_complete\":%s,"
                        + "\"lines_peer_mb_per_s\":%.1f,\"panel_cpu_s\":%.2f,\"warmup_mb_per_s\":%.1f,"
                        + "\"target_mb_per_s\":50,\"load_average\":%.2f}%n",
                log.rate(), Workload.LOG.lineBytes, ROUNDS, log.bytes(), log.seconds(), allComplete(gateway.get(Workload.LOG)),
                logPeer.rate(), log.rate() / logPeer.rate(), medianOf(ptyCeiling.get(Workload.LOG)),
                rates(gateway.get(Workload.LOG).stream().map(Run::rate).toList()).replace(" / ", ","),
                rates(direct.get(Workload.LOG).stream().map(Run::rate).toList()).replace(" / ", ","),
                shortLines.rate(), allComplete(gateway.get(Workload.SHORT_LINES)), median(direct.get(Workload.SHORT_LINES)).rate(),
                medianOf(ptyCeiling.get(Workload.SHORT_LINES)), lines.rate(), allComplete(gateway.get(Workload.LINES)),
                median(direct.get(Workload.LINES)).rate(), log.panelCpu(), median(warmUps).rate(), loadAverage());
    }

    private static void printRow(String format, String label, Run run, List<Run> runs, Workload workload) {
        boolean complete = workload == null || allComplete(runs);
        System.out.printf(Locale.ROOT, format, label, run.bytes(),
                run.payload() + (complete ? "" : " (" + workload.expectedPayload() + ")"),
                String.format(Locale.ROOT, "%.2f", run.seconds()), String.format(Locale.ROOT, "%.1f", run.rate()), run.averageChunk(),
                String.format(Locale.ROOT, "%.2fs", run.panelCpu()) + String.format(Locale.ROOT, " (%.2f sys)", run.panelSystemCpu()), String.format(Locale.ROOT, "%.2fs", run.clientCpu()),
                rates(runs.stream().map(Run::rate).toList()));
    }

    /** The run with the median rate (of an odd number of runs; the lower middle of an even one). */
    private static Run median(List<Run> runs) {
        List<Run> sorted = runs.stream().sorted(java.util.Comparator.comparingDouble(Run::rate)).toList();
        return sorted.get((sorted.size() - 1) / 2);
    }

    private static double medianOf(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        return sorted.get((sorted.size() - 1) / 2);
    }

    private static boolean allComplete(List<Run> runs) {
        return runs.stream().allMatch(Run::complete);
    }

    private static String rates(List<Double> rates) {
        return String.join(" / ", rates.stream().map(rate -> String.format(Locale.ROOT, "%.1f", rate)).toList());
    }

    /**
     * MB/s a bare PTY carries lines of this length on this machine (bench/pty-ceiling.c, built by the
     * runner): the most any console reading a PTY could reach here. -1 when the program is missing.
     */
    private static double ptyCeiling(int lineBytes) throws IOException, InterruptedException {
        Path program = Path.of(System.getProperty("multiplicity.bench.pty-ceiling", "target/pty-ceiling"));
        if (!Files.isExecutable(program)) {
            System.out.println("no " + program + ": the bare PTY is not measured");
            return -1;
        }
        Process process = new ProcessBuilder(program.toString(), Integer.toString(lineBytes), Long.toString(MEGABYTES))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (process.waitFor() != 0 || output.split(" ").length != 2) {
            System.out.println("pty-ceiling failed: " + output);
            return -1;
        }
        return Double.parseDouble(output.split(" ")[1]);
    }

    private interface Measurement {
        Run run() throws Exception;
    }

    /** A run with the CPU time the panel's process and this process (the client) spent during it. */
    private static Run measured(PackagedApplication app, Measurement measurement) throws Exception {
        CpuTime panelBefore = CpuTime.of(processStat(app.pid()));
        CpuTime clientBefore = CpuTime.of(processStat(ProcessHandle.current().pid()));
        Run run = measurement.run();
        CpuTime panel = CpuTime.of(processStat(app.pid())).minus(panelBefore);
        CpuTime client = CpuTime.of(processStat(ProcessHandle.current().pid())).minus(clientBefore);
        return new Run(run.bytes(), run.payload(), run.seconds(), run.complete(), run.chunks(), panel.total(), client.total(),
                panel.system());
    }

    /** User and system CPU seconds of a process or thread, from its /proc stat line (clock ticks of 1/100 s). */
    private record CpuTime(double user, double system) {
        static CpuTime of(String stat) {
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return new CpuTime(Long.parseLong(fields[11]) / 100.0, Long.parseLong(fields[12]) / 100.0);
        }

        CpuTime minus(CpuTime before) {
            return new CpuTime(user - before.user, system - before.system);
        }

        double total() {
            return user + system;
        }
    }

    private static String processStat(long pid) throws IOException {
        return Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    }

    /** CPU seconds each of a process's threads used so far, summed by thread name (digits dropped). */
    private static Map<String, Double> cpuByThread(long pid) {
        Map<String, Double> byName = new java.util.TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[0-9]+", "#");
                    byName.merge(name, CpuTime.of(stat).total(), Double::sum);
                } catch (IOException | RuntimeException gone) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException e) {
            return byName;
        }
        return byName;
    }

    /**
     * The output read straight from the console keeper's socket: what the gateway could reach at best.
     * Connecting takes the console from the broker, which reconnects when the next WebSocket client attaches.
     */
    private static Run direct(Path socket, Workload workload) throws IOException, InterruptedException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            drain(channel, Duration.ofMillis(500));
            Tally tally = new Tally(workload);
            channel.write(ByteBuffer.wrap(workload.command()));
            ByteBuffer in = ByteBuffer.allocate(1 << 20);
            Instant deadline = Instant.now().plus(Duration.ofMinutes(3));
            while (!tally.ended && Instant.now().isBefore(deadline)) {
                in.clear();
                int read = channel.read(in);
                if (read < 0) {
                    throw new IOException("console closed");
                }
                tally.feed(in.array(), read, System.nanoTime());
            }
            return tally.run();
        }
    }

    private static Run throughGateway(PackagedApplication app, String token, String instance, Workload workload)
            throws Exception {
        Client client = Client.open(app, token, instance);
        try {
            client.awaitControl("writer", Duration.ofSeconds(10));
            while (client.chunks.poll(500, TimeUnit.MILLISECONDS) != null) {
                // the scrollback, with the markers of earlier runs
            }
            Tally tally = new Tally(workload);
            client.tally = tally;
            client.send(workload.command());
            Instant deadline = Instant.now().plus(Duration.ofMinutes(3));
            while (!tally.ended && Instant.now().isBefore(deadline) && client.closeCode == 0) {
                Thread.sleep(10);
            }
            if (!tally.ended) {
                System.out.println(workload + " through the gateway did not finish: close code " + client.closeCode
                        + " " + client.closeReason);
            }
            return tally.run();
        } finally {
            client.close();
        }
    }

    /**
     * Counts a run's output as it arrives: the bytes and the {@code x}s between the markers, and the
     * time from the first marker to the second.
     */
    private static final class Tally {
        private static final String BEGIN = "BEGIN-" + "OF-BENCH";
        private static final String END = "END-" + "OF-BENCH";

        private final Workload workload;
        private final StringBuilder window = new StringBuilder();
        volatile boolean ended;
        private boolean begun;
        private long bytes;
        private long chunks;
        private long payload;
        private long beganAt;
        private long endedAt;

        Tally(Workload workload) {
            this.workload = workload;
        }

        void feed(byte[] data, int length, long now) {
            if (ended) {
                return;
            }
            int from = 0;
            if (!begun) {
                int before = window.length();
                window.append(new String(data, 0, length, StandardCharsets.ISO_8859_1));
                int marker = window.indexOf(BEGIN);
                if (marker < 0) {
                    window.delete(0, Math.max(0, window.length() - 64));
                    return;
                }
                begun = true;
                beganAt = now;
                from = Math.max(0, marker + BEGIN.length() - before);
                window.setLength(0);
            }
            for (int i = from; i < length; i++) {
                if (data[i] == 'x') {
                    payload++;
                }
            }
            bytes += length - from;
            chunks++;
            window.append(new String(data, Math.max(from, length - 64), length - Math.max(from, length - 64),
                    StandardCharsets.ISO_8859_1));
            if (window.indexOf(END) >= 0) {
                endedAt = now;
                ended = true;
            }
            window.delete(0, Math.max(0, window.length() - 64));
        }

        Run run() {
            return new Run(bytes, payload, (endedAt - beganAt) / 1e9, ended && payload == workload.expectedPayload(),
                    chunks, 0, 0, 0);
        }
    }

    private static final class Client implements WebSocket.Listener {
        final BlockingQueue<byte[]> chunks = new LinkedBlockingQueue<>();
        final List<String> controls = new ArrayList<>();
        volatile Tally tally;
        volatile int closeCode;
        volatile String closeReason;
        WebSocket socket;

        static Client open(PackagedApplication app, String token, String instance) throws Exception {
            String url = given().auth().oauth2(token).contentType(ContentType.JSON).body(Map.of("type", "serial"))
                    .post(app.url() + "/api/v1/instances/" + instance + "/console").then().statusCode(201).extract()
                    .path("url");
            Client client = new Client();
            // The listener runs on the client's selector thread: it only counts or queues, and a hand-off
            // to another thread would add the client's own latency to what the gateway is measured by.
            client.socket = HttpClient.newBuilder().executor(Runnable::run).build().newWebSocketBuilder()
                    .buildAsync(URI.create(app.url().replace("http", "ws") + url), client).get(10, TimeUnit.SECONDS);
            return client;
        }

        void send(byte[] data) {
            socket.sendBinary(ByteBuffer.wrap(data), true).join();
        }

        void awaitControl(String text, Duration timeout) throws InterruptedException {
            Instant deadline = Instant.now().plus(timeout);
            while (Instant.now().isBefore(deadline)) {
                synchronized (controls) {
                    if (controls.stream().anyMatch(c -> c.contains(text))) {
                        return;
                    }
                }
                Thread.sleep(10);
            }
            throw new IllegalStateException("no control frame with " + text + ": " + controls);
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean lastFragment) {
            byte[] chunk = new byte[data.remaining()];
            data.get(chunk);
            Tally counting = tally;
            if (counting != null) {
                counting.feed(chunk, chunk.length, System.nanoTime());
            } else {
                chunks.add(chunk);
                if (chunks.size() > 10_000) {
                    chunks.clear();
                }
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean lastFragment) {
            synchronized (controls) {
                controls.add(data.toString());
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closeCode = statusCode;
            closeReason = reason;
            return null;
        }

        void close() {
            try {
                if (!socket.isOutputClosed()) {
                    socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
                }
            } catch (RuntimeException e) {
                // the server closed first
            }
        }
    }

    private static void awaitRunning(PackagedApplication app, String token, String operation) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(120));
        while (Instant.now().isBefore(deadline)) {
            String state = given().auth().oauth2(token).get(app.url() + "/api/v1/operations/" + operation).path("state");
            if ("succeeded".equals(state)) {
                return;
            }
            if ("failed".equals(state) || "cancelled".equals(state)) {
                throw new IllegalStateException("the jail did not start: " + given().auth().oauth2(token)
                        .get(app.url() + "/api/v1/operations/" + operation).asString());
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the jail did not start in time");
    }

    private static void drain(SocketChannel channel, Duration quiet) throws IOException, InterruptedException {
        channel.configureBlocking(false);
        ByteBuffer buffer = ByteBuffer.allocate(65536);
        long until = System.nanoTime() + quiet.toNanos();
        while (System.nanoTime() < until) {
            buffer.clear();
            if (channel.read(buffer) > 0) {
                until = System.nanoTime() + quiet.toNanos();
            } else {
                Thread.sleep(5);
            }
        }
        channel.configureBlocking(true);
    }

    private static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static double percentile(long[] nanos, int percentile) {
        long[] sorted = Arrays.copyOf(nanos, nanos.length);
        Arrays.sort(sorted);
        int index = (int) Math.ceil(percentile / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, index)] / 1e6;
    }
}

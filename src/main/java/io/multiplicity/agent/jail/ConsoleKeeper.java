package io.multiplicity.agent.jail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts a jail through the native {@code console-keeper}: the keeper listens on the console
 * socket, runs the OCI runtime, receives the jail's PTY and serves it on the serve socket for
 * {@link ConsoleConnection}. It outlives the agent, reaps the jail's init, and exits once the
 * jail is gone.
 */
public final class ConsoleKeeper {

    /** The runtime could not start the jail. */
    public static final class StartFailure extends RuntimeException {
        public StartFailure(String message) {
            super(message);
        }
    }

    private static final long REPORT_TIMEOUT_SECONDS = 120;

    private final Path program;

    public ConsoleKeeper(Path program) {
        this.program = program;
    }

    public boolean available() {
        return Files.isExecutable(program);
    }

    public Path program() {
        return program;
    }

    /**
     * The jail's veth pair, which the keeper makes once the runtime has created the jail and
     * {@code ready} has returned: {@code hostName} a port of {@code bridge}, up, and {@code eth0}
     * with the MAC {@code mac} in the jail. {@code ready} waits until the jail's network is ready
     * (the bridge exists, the rules name {@code hostName}); what it throws calls the start off.
     */
    public record JailLink(String hostName, String bridge, String mac, Runnable ready) {
    }

    /**
     * Runs {@code runtimeCommand} under a new keeper and returns the keeper's pid once the runtime
     * has started the jail and handed over its console. The keeper serves the console on
     * {@code serveSocket} and takes window sizes on {@code controlSocket}, and writes how the
     * jail's init ended to {@code exitStatus} (its pid is in {@code pidFile}; see {@link ExitStatus}).
     * Given a {@code bind}, the keeper opens the jail's root gate with it first ({@link JailRootGate});
     * given a {@code link}, it gives the jail its network interface before it reports.
     */
    public long start(Path consoleSocket, Path serveSocket, Path controlSocket, Path exitStatus, Path pidFile, Path log,
            JailRootGate.Bind bind, JailLink link, List<String> runtimeCommand) {
        if (!available()) {
            throw new IllegalStateException("console-keeper not found at " + program + " (build it: make -C src/main/c)");
        }
        List<String> command = new ArrayList<>(List.of(program.toString(), "--control", controlSocket.toString(),
                "--exit-status", exitStatus.toString(), pidFile.toString()));
        if (bind != null) {
            command.addAll(List.of("--bind", bind.source().toString(), bind.target().toString()));
        }
        if (link != null) {
            command.addAll(List.of("--veth", link.hostName(), link.bridge(), link.mac()));
        }
        command.addAll(List.of(consoleSocket.toString(), serveSocket.toString(), log.toString()));
        command.addAll(runtimeCommand);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (link == null) {
            builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        try {
            Process process = builder.start();
            // The keeper closes its stdout after one report; it keeps running when it succeeded.
            java.util.concurrent.CompletableFuture<String> reading = new java.util.concurrent.CompletableFuture<>();
            Thread.ofPlatform().daemon().name("console-keeper-report").start(() -> {
                try {
                    reading.complete(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                    reading.complete("");
                }
            });
            java.io.OutputStream toKeeper = process.getOutputStream();
            if (link != null) {
                try {
                    link.ready().run();
                } catch (RuntimeException e) {
                    // end of file, no line: the keeper calls the start off and exits
                    closeQuietly(toKeeper);
                    awaitExit(process);
                    throw e;
                }
                try {
                    toKeeper.write('\n');
                } catch (IOException gone) {
                    // it failed before it asked: its report says why
                }
            }
            closeQuietly(toKeeper);
            String report;
            try {
                report = reading.get(REPORT_TIMEOUT_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                process.destroyForcibly();
                throw new StartFailure("the runtime did not start the jail within " + REPORT_TIMEOUT_SECONDS + " s");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
                throw new StartFailure("interrupted while starting the jail");
            }
            if (report.startsWith("ok ")) {
                return Long.parseLong(report.substring(3).strip());
            }
            awaitExit(process);
            throw new StartFailure(report.isBlank() ? "console-keeper failed" : report.strip());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void closeQuietly(java.io.OutputStream stream) {
        try {
            stream.close();
        } catch (IOException ignored) {
            // the keeper is gone
        }
    }

    private static void awaitExit(Process process) {
        try {
            if (!process.waitFor(REPORT_TIMEOUT_SECONDS, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether a keeper with this pid still runs. */
    public static boolean alive(long pid) {
        return pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && !isZombie(pid);
    }

    /** Stops a keeper (it normally exits by itself when the jail is gone). */
    /**
     * Stops every console keeper still serving {@code serveSocket}: one an agent started and could
     * not record before it died (its jail start was interrupted) would otherwise hold the sockets of
     * the jail's next start.
     */
    public static void stopStrays(java.nio.file.Path serveSocket) {
        String socket = serveSocket.toString();
        ProcessHandle.allProcesses()
                .filter(handle -> handle.info().command().map(command -> command.endsWith("console-keeper")).orElse(false))
                .filter(handle -> handle.info().arguments().map(arguments -> java.util.Arrays.asList(arguments)
                        .contains(socket)).orElse(false))
                .forEach(handle -> {
                    handle.destroy();
                    try {
                        handle.onExit().get(5, java.util.concurrent.TimeUnit.SECONDS);
                    } catch (Exception e) {
                        handle.destroyForcibly();
                    }
                });
    }

    public static void stop(long pid) {
        if (pid > 0) {
            ProcessHandle.of(pid).filter(handle -> handle.info().command()
                    .map(command -> command.endsWith("console-keeper")).orElse(false))
                    .ifPresent(ProcessHandle::destroy);
        }
    }

    static boolean isZombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int end = stat.lastIndexOf(')');
            return end > 0 && end + 2 < stat.length() && (stat.charAt(end + 2) == 'Z' || stat.charAt(end + 2) == 'X');
        } catch (IOException e) {
            return false;
        }
    }
}

package io.multiplicity.agent.vm;

import io.multiplicity.agent.support.Processes;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Starts a VM's monitor so that it outlives the agent (in a session of its own), waits until its
 * sockets are there, and stops it. The monitor's output goes to a log of the VM's that grows
 * across starts and is rotated past 1 MiB.
 */
final class MonitorLauncher {

    private static final Logger LOG = Logger.getLogger(MonitorLauncher.class);
    /** How long a monitor may take to detach (QEMU's {@code -daemonize}). */
    private static final Duration DETACH_TIMEOUT = Duration.ofSeconds(60);
    /** How long a started monitor may take to make its sockets. */
    private static final Duration SOCKETS_TIMEOUT = Duration.ofSeconds(10);
    /** How long a monitor has to exit after SIGTERM before it gets SIGKILL. */
    private static final Duration TERM_GRACE = Duration.ofSeconds(3);
    private static final long ROTATE_BYTES = 1L << 20;
    /** Lines the launcher itself writes into the monitor's log start with this. */
    private static final String MARK = "---- ";

    private MonitorLauncher() {
    }

    /**
     * Where the exit status of a monitor the agent started without detaching is written when it
     * exits (while the agent that started it runs): in the VM's directory, which holds the pid
     * file's directory (that one belongs to the monitor's uid).
     */
    static Path exitStatusFile(Path pidFile) {
        return pidFile.getParent().resolveSibling("monitor.exit");
    }

    /** The exit status recorded for the monitor of this pid file, or null when none was seen. */
    static Integer exitStatus(Path pidFile) {
        try {
            Path file = exitStatusFile(pidFile);
            return Files.isRegularFile(file) ? Integer.valueOf(Files.readString(file).strip()) : null;
        } catch (IOException | NumberFormatException e) {
            return null;
        }
    }

    /** Starts the monitor; returns its pid once its serial and control sockets exist. */
    static long launch(Hypervisor hypervisor, Hypervisor.Launch launch, Path log) {
        List<String> command = new ArrayList<>(hypervisor.command(launch));
        if (!hypervisor.detaches()) {
            command.add(0, "setsid");
        }
        try {
            Files.deleteIfExists(launch.pidFile());
            Files.deleteIfExists(exitStatusFile(launch.pidFile()));
            Files.writeString(log, MARK + Instant.now() + " " + String.join(" ", command) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            Process process = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectErrorStream(true)
                    .start();
            long pid;
            if (hypervisor.detaches()) {
                if (!process.waitFor(DETACH_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new IllegalStateException(hypervisor.name() + " did not detach within "
                            + DETACH_TIMEOUT.toSeconds() + " s: " + tail(log));
                }
                if (process.exitValue() != 0) {
                    throw new IllegalStateException(hypervisor.name() + " failed (exit " + process.exitValue() + "): "
                            + tail(log));
                }
                pid = Processes.readPidFile(launch.pidFile());
                if (pid == 0) {
                    throw new IllegalStateException("no pid in " + launch.pidFile());
                }
            } else {
                pid = process.pid();
                Files.writeString(launch.pidFile(), pid + "\n");
                Path exitFile = exitStatusFile(launch.pidFile());
                process.onExit().thenAccept(exited -> {
                    try {
                        if (Files.isDirectory(exitFile.getParent())) {
                            Files.writeString(exitFile, exited.exitValue() + "\n");
                        }
                    } catch (IOException e) {
                        LOG.warnf("cannot record the exit status of monitor %d: %s", exited.pid(), e.getMessage());
                    }
                });
            }
            long deadline = System.nanoTime() + SOCKETS_TIMEOUT.toNanos();
            while (!(Files.exists(launch.serialSocket()) && Files.exists(launch.controlSocket()))) {
                if (!Processes.alive(pid)) {
                    throw new IllegalStateException(hypervisor.name() + " exited at start: " + tail(log));
                }
                if (System.nanoTime() > deadline) {
                    stop(pid);
                    throw new IllegalStateException(hypervisor.name() + " made no sockets within "
                            + SOCKETS_TIMEOUT.toSeconds() + " s: " + tail(log));
                }
                Processes.sleep(20);
            }
            return pid;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** SIGTERM, then SIGKILL if the monitor is still there after a grace period. */
    static void stop(long pid) {
        Processes.terminate(pid, TERM_GRACE);
    }

    /** Keeps a log that grows across starts small: past 1 MiB it becomes {@code <log>.1}. */
    static void rotate(Path log) {
        try {
            if (Files.isRegularFile(log) && Files.size(log) > ROTATE_BYTES) {
                Files.move(log, log.resolveSibling(log.getFileName() + ".1"), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            LOG.warnf("cannot rotate %s: %s", log, e.getMessage());
        }
    }

    /** The last three lines the monitor wrote, for error messages. */
    static String tail(Path log) {
        try {
            if (!Files.exists(log)) {
                return "(no log)";
            }
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8).stream()
                    .filter(line -> !line.startsWith(MARK)).toList();
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size())).strip();
        } catch (IOException | UncheckedIOException e) {
            return "(log unreadable)";
        }
    }
}

package io.multiplicity.agent.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** Host processes as {@code /proc} shows them: whether one lives, waiting for it, pid files. */
public final class Processes {

    private Processes() {
    }

    /** Whether a process runs; a zombie does not (the host's init may leave an exited child unreaped a while). */
    public static boolean alive(long pid) {
        if (pid <= 0) {
            return false;
        }
        try {
            char state = statFields(pid)[0].charAt(0);
            return state != 'Z' && state != 'X';
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Whether {@code pid} runs and its command line holds {@code text} (a monitor names its VM's id). */
    public static boolean aliveNaming(long pid, String text) {
        if (!alive(pid)) {
            return false;
        }
        try {
            byte[] cmdline = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            return new String(cmdline, StandardCharsets.UTF_8).contains(text);
        } catch (IOException e) {
            return false;
        }
    }

    /** The session id of a process. */
    public static long sessionOf(long pid) throws IOException {
        return Long.parseLong(statFields(pid)[3]);
    }

    /** Memory the process holds in RAM ({@code VmRSS}), in bytes; 0 when it is gone. */
    public static long residentBytes(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // it just exited
        }
        return 0;
    }

    /** CPU time the process used, user and system, in nanoseconds (at the kernel's 100 Hz clock tick); 0 when it is gone. */
    public static long cpuNanos(long pid) {
        try {
            String[] fields = statFields(pid);
            return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10_000_000L;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** Waits until the process is gone or the timeout passed. */
    public static void waitForExit(long pid, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (alive(pid) && System.nanoTime() < deadline) {
            sleep(10);
        }
    }

    /** SIGTERM, then SIGKILL when the process is still there after {@code grace}. */
    public static void terminate(long pid, Duration grace) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
        waitForExit(pid, grace);
        if (alive(pid)) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            waitForExit(pid, Duration.ofSeconds(5));
        }
    }

    /** The pid a pid file holds, 0 when there is none or it holds no number. */
    public static long readPidFile(Path file) {
        try {
            return Long.parseLong(Files.readString(file).strip());
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    /** Sleeps; an interrupt is kept and ends the caller's wait with an exception. */
    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The fields of /proc/PID/stat after the command name: state, ppid, pgrp, session, … */
    private static String[] statFields(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    }
}

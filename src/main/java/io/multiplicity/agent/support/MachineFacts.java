package io.multiplicity.agent.support;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the local machine has: CPUs, memory, name. Read from /proc on Linux. */
public final class MachineFacts {

    private MachineFacts() {
    }

    public static int cpus() {
        return Runtime.getRuntime().availableProcessors();
    }

    public static long memoryMiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux, or /proc unreadable: fall through
        }
        return Runtime.getRuntime().maxMemory() / (1024 * 1024);
    }

    public static String hostname() {
        try {
            String name = InetAddress.getLocalHost().getHostName();
            int dot = name.indexOf('.');
            return (dot > 0 ? name.substring(0, dot) : name).toLowerCase();
        } catch (IOException e) {
            return "localhost";
        }
    }
}

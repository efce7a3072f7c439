package io.multiplicity.agent.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What tests read of host processes from /proc. */
public final class Processes {

    private Processes() {
    }

    /** Whether a process runs (a zombie does not: this machine's init may leave monitors unreaped). */
    public static boolean alive(long pid) {
        try {
            char state = fields(pid)[0].charAt(0);
            return state != 'Z' && state != 'X';
        } catch (IOException e) {
            return false;
        }
    }

    /** The session id of a process. */
    public static long sessionOf(long pid) throws IOException {
        return Long.parseLong(fields(pid)[3]);
    }

    /** The fields of /proc/PID/stat after the command name: state, ppid, pgrp, session, … */
    private static String[] fields(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    }
}

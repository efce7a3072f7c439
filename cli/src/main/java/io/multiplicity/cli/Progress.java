package io.multiplicity.cli;

import java.io.PrintStream;

/**
 * A progress line on standard error: rewritten in place ({@code \r}) on a terminal; on a pipe or a
 * log file, one line each time what it says changes.
 */
public final class Progress {

    private final PrintStream err;
    private final boolean terminal;
    private String last = "";

    public Progress(PrintStream err, boolean terminal) {
        this.err = err;
        this.terminal = terminal;
    }

    /** Whether the line is rewritten in place; on a pipe, callers print coarser steps. */
    public boolean terminal() {
        return terminal;
    }

    public synchronized void show(String line) {
        if (line.equals(last)) {
            return;
        }
        if (terminal) {
            err.print("\r\033[K" + line);
        } else {
            err.println(line);
        }
        err.flush();
        last = line;
    }

    public synchronized void done() {
        if (terminal && !last.isEmpty()) {
            err.println();
        }
        last = "";
    }

    public static String bytes(long count) {
        if (count < 1024) {
            return count + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double value = count;
        int unit = -1;
        while (value >= 1024 && unit + 1 < units.length) {
            value /= 1024;
            unit++;
        }
        return String.format("%.1f %s", value, units[unit]);
    }
}

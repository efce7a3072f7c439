package io.multiplicity.cli;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The controlling terminal through {@code stty} on {@code /dev/tty}: raw mode for a console (every
 * key, Ctrl-C included, goes to the instance), its window size, and the saved settings put back on
 * exit, also when the JVM is ended by a signal.
 */
public final class TerminalMode implements AutoCloseable {

    private static final File TTY = new File("/dev/tty");

    private final String saved;
    private final Thread restoreOnExit;

    private TerminalMode(String saved) {
        this.saved = saved;
        this.restoreOnExit = new Thread(this::restore, "terminal-restore");
        Runtime.getRuntime().addShutdownHook(restoreOnExit);
    }

    /** Raw mode on the controlling terminal, or null when there is none. */
    public static TerminalMode raw() {
        if (!TTY.canRead()) {
            return null;
        }
        try {
            String saved = stty(List.of("-g")).strip();
            if (saved.isEmpty()) {
                return null;
            }
            stty(List.of("raw", "-echo"));
            return new TerminalMode(saved);
        } catch (IOException e) {
            return null;
        }
    }

    /** The window size as {rows, cols}, or null when it cannot be read. */
    public static int[] size() {
        try {
            String[] parts = stty(List.of("size")).strip().split("\\s+");
            if (parts.length == 2) {
                int rows = Integer.parseInt(parts[0]);
                int cols = Integer.parseInt(parts[1]);
                return rows > 0 && cols > 0 ? new int[] {rows, cols} : null;
            }
        } catch (IOException | NumberFormatException e) {
            // no terminal, or one that does not know its size
        }
        return null;
    }

    private void restore() {
        try {
            stty(List.of(saved));
        } catch (IOException e) {
            // nothing more can be done: `stty sane` by hand
        }
    }

    @Override
    public void close() {
        restore();
        try {
            Runtime.getRuntime().removeShutdownHook(restoreOnExit);
        } catch (IllegalStateException e) {
            // already shutting down: the hook restores
        }
    }

    private static String stty(List<String> arguments) throws IOException {
        List<String> command = new java.util.ArrayList<>();
        command.add("stty");
        command.addAll(arguments);
        Process process = new ProcessBuilder(command).redirectInput(TTY)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (process.waitFor() != 0) {
                throw new IOException("stty " + String.join(" ", arguments) + " failed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return output;
    }
}

package io.multiplicity.agent.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs host commands and captures their output. */
public final class Command {

    /** Result of one command. */
    public record Result(List<String> command, int exitCode, String stdout, String stderr) {

        public boolean ok() {
            return exitCode == 0;
        }

        /** Throws {@link CommandException} unless the command succeeded; returns this otherwise. */
        public Result check() {
            if (exitCode != 0) {
                throw new CommandException(this);
            }
            return this;
        }
    }

    /** A command that failed. */
    public static final class CommandException extends RuntimeException {
        private final transient Result result;

        public CommandException(Result result) {
            super(String.join(" ", result.command()) + " exited " + result.exitCode() + ": "
                    + (result.stderr().isBlank() ? result.stdout() : result.stderr()).strip());
            this.result = result;
        }

        public Result result() {
            return result;
        }
    }

    private static final long TIMEOUT_SECONDS = 120;

    /** Drains the output of running commands; two threads per running command. */
    private static final java.util.concurrent.ExecutorService DRAINERS =
            java.util.concurrent.Executors.newCachedThreadPool(task -> {
                Thread thread = new Thread(task, "command-output");
                thread.setDaemon(true);
                return thread;
            });

    private Command() {
    }

    /** Runs a command with no input; never throws for a non-zero exit. */
    public static Result run(String... command) {
        return run(List.of(command), null);
    }

    /** Runs a command, feeding it {@code input} on stdin when not null. */
    public static Result run(List<String> command, String input) {
        ProcessBuilder builder = new ProcessBuilder(command);
        if (input == null) {
            builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            return new Result(List.copyOf(command), 127, "", e.getMessage());
        }
        // Wait for the process, not for its pipes: a hung command (a file system that stops
        // answering) is killed after the timeout, and a child it leaves behind holding the pipes
        // cannot stall the caller.
        CompletableFuture<String> stdout = CompletableFuture.supplyAsync(() -> drain(process.getInputStream()), DRAINERS);
        CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> drain(process.getErrorStream()), DRAINERS);
        try {
            if (input != null) {
                try (var stdin = process.getOutputStream()) {
                    stdin.write(input.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
                return new Result(List.copyOf(command), 124, collect(stdout),
                        "timed out after " + TIMEOUT_SECONDS + " s: " + collect(stderr));
            }
            return new Result(List.copyOf(command), process.exitValue(), collect(stdout), collect(stderr));
        } catch (IOException e) {
            process.destroyForcibly();
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IllegalStateException("interrupted running " + command, e);
        }
    }

    private static String collect(CompletableFuture<String> output) throws InterruptedException {
        try {
            return output.get(5, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return "";
        }
    }

    /** Runs a command and returns its stdout, throwing {@link CommandException} on failure. */
    public static String check(String... command) {
        return run(command).check().stdout();
    }

    /** Concatenates a fixed command prefix with more arguments. */
    public static List<String> join(List<String> prefix, String... more) {
        List<String> all = new ArrayList<>(prefix);
        all.addAll(List.of(more));
        return all;
    }

    private static String drain(InputStream stream) {
        try (stream) {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}

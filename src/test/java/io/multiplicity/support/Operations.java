package io.multiplicity.support;

import io.restassured.response.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** Waiting for an operation as a user would: polling it until it has ended. */
public final class Operations {

    private Operations() {
    }

    /** The operation as {@code user} sees it once it has ended (succeeded, failed, cancelled); fails after {@code timeout}. */
    public static Response finished(String user, String operation, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        Response response = null;
        while (Instant.now().isBefore(deadline)) {
            response = Api.as(user).get("/api/v1/operations/" + operation);
            if (List.of("succeeded", "failed", "cancelled").contains((String) response.path("state"))) {
                return response;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        String state = response == null ? "" : response.asString();
        String threads = workerThreads() + unfinished();
        System.err.println("operation " + operation + " did not finish: " + state + "\n" + threads);
        throw new AssertionError("operation " + operation + " did not finish: " + state
                + "\nthe operation worker's threads in this JVM:\n" + threads);
    }

    /** The operations not ended in the tests' database, with their instance's host. */
    static String unfinished() {
        StringBuilder rows = new StringBuilder("unfinished operations:\n");
        try (java.sql.Connection connection = PostgresTestResource.server().getPostgresDatabase().getConnection();
             java.sql.Statement statement = connection.createStatement();
             java.sql.ResultSet result = statement.executeQuery("select o.id, o.kind, o.state, o.worker_id,"
                     + " o.lease_until, o.attempts, o.created_at, i.host_id from operations o left join instances i"
                     + " on i.id = o.target_id where o.state in ('pending', 'running') order by o.created_at")) {
            while (result.next()) {
                rows.append("  ").append(result.getString(1)).append(' ').append(result.getString(2)).append(' ')
                        .append(result.getString(3)).append(" worker ").append(result.getString(4))
                        .append(" lease ").append(result.getString(5)).append(" attempts ").append(result.getInt(6))
                        .append(" created ").append(result.getString(7)).append(" host ").append(result.getString(8))
                        .append('\n');
            }
        } catch (Exception e) {
            rows.append("  (could not read them: ").append(e.getMessage()).append(")\n");
        }
        return rows.toString();
    }

    /**
     * What the operation worker's threads of an application in this JVM are doing (a test of the
     * in-process panel): why an operation waits, when one does not end.
     */
    static String workerThreads() {
        StringBuilder dump = new StringBuilder();
        for (var entry : Thread.getAllStackTraces().entrySet()) {
            String name = entry.getKey().getName();
            if (!name.startsWith("operation") && !name.startsWith("agent-heartbeat")) {
                continue;
            }
            dump.append(name).append(" (").append(entry.getKey().getState()).append(")\n");
            StackTraceElement[] frames = entry.getValue();
            for (int i = 0; i < Math.min(frames.length, 25); i++) {
                dump.append("    at ").append(frames[i]).append('\n');
            }
        }
        // The workers are virtual threads, which only the JDK's thread dump shows.
        try {
            java.nio.file.Path file = java.nio.file.Files.createTempFile("threads", ".txt");
            java.nio.file.Files.delete(file);
            Process jcmd = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "jcmd")
                    .toString(), Long.toString(ProcessHandle.current().pid()), "Thread.dump_to_file", file.toString())
                    .redirectErrorStream(true).start();
            jcmd.getInputStream().readAllBytes();
            jcmd.waitFor();
            for (String block : java.nio.file.Files.readString(file).split("\n\n")) {
                if (block.contains("\"operation-") || block.contains("\"agent-heartbeat")) {
                    dump.append(block).append("\n\n");
                }
            }
            java.nio.file.Files.deleteIfExists(file);
        } catch (Exception e) {
            dump.append("(no thread dump: ").append(e.getMessage()).append(")\n");
        }
        return dump.length() == 0 ? "(none)" : dump.toString();
    }
}

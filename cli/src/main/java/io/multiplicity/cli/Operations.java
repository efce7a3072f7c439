package io.multiplicity.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/** Follows an operation of the panel until it ends, showing its state and progress on the progress line. */
public final class Operations {

    public static final Duration POLL_INTERVAL = Duration.ofMillis(500);
    private static final Set<String> ENDED = Set.of("succeeded", "failed", "cancelled");

    private Operations() {
    }

    public static boolean ended(JsonNode operation) {
        return ENDED.contains(operation.path("state").asText());
    }

    /**
     * Polls {@code GET /operations/{id}} until the operation ends or {@code timeout} passes; returns
     * it when it succeeded, fails with {@link ExitCodes#OPERATION_FAILED} otherwise.
     */
    public static JsonNode follow(PanelClient api, JsonNode operation, Progress progress, Duration timeout) {
        String id = operation.path("id").asText();
        Instant deadline = Instant.now().plus(timeout);
        JsonNode current = operation;
        while (true) {
            progress.show(line(current));
            if (ended(current)) {
                break;
            }
            if (Instant.now().isAfter(deadline)) {
                progress.done();
                throw new CliException(ExitCodes.OPERATION_FAILED, "operation " + id + " (" + current.path("kind").asText()
                        + ") did not end within " + timeout.toSeconds() + " s; it goes on: multiplicity operations show " + id);
            }
            try {
                Thread.sleep(POLL_INTERVAL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException(ExitCodes.OPERATION_FAILED, "interrupted; operation " + id + " goes on");
            }
            current = api.get(PanelClient.path("/operations", id));
        }
        progress.done();
        if (!"succeeded".equals(current.path("state").asText())) {
            throw new CliException(ExitCodes.OPERATION_FAILED, current.path("kind").asText() + " " + current.path("state").asText()
                    + (current.hasNonNull("error") ? ": " + current.get("error").asText() : "") + " (operation " + id + ")");
        }
        return current;
    }

    static String line(JsonNode operation) {
        StringBuilder line = new StringBuilder(operation.path("kind").asText("operation")).append(' ')
                .append(operation.path("state").asText()).append(' ').append(operation.path("progress").asInt()).append('%');
        JsonNode detail = operation.path("progressDetail");
        if (detail.has("bytesFetched")) {
            line.append(' ').append(Progress.bytes(detail.path("bytesFetched").asLong()));
            if (detail.hasNonNull("bytesTotal")) {
                line.append(" of ").append(Progress.bytes(detail.path("bytesTotal").asLong()));
            }
        }
        return line.toString();
    }
}

package io.multiplicity.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import picocli.CommandLine.Option;

/** {@code --wait} and {@code --timeout} of the commands that start an operation. */
public class WaitOption {

    @Option(names = "--wait", description = "Follow the operation to its end, with a progress line on standard error.")
    boolean wait;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600",
            description = "How long --wait waits (default ${DEFAULT-VALUE} s).")
    long timeoutSeconds;

    /** The operation as it ended when waiting, else as the panel accepted it. */
    JsonNode apply(PanelClient api, JsonNode operation, Progress progress) {
        if (!wait || !operation.has("state") || !operation.has("kind")) {
            return operation;
        }
        return Operations.follow(api, operation, progress, Duration.ofSeconds(timeoutSeconds));
    }
}

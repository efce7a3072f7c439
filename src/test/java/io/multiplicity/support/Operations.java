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
        throw new AssertionError("operation " + operation + " did not finish: "
                + (response == null ? "" : response.asString()));
    }
}

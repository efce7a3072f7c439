package io.multiplicity.operation;

import jakarta.ws.rs.core.Response;
import java.net.URI;

/** The answer to every mutation: 202 with the operation and a Location header pointing at it. */
public final class Accepted {

    private Accepted() {
    }

    public static Response of(Operation operation) {
        return Response.accepted(OperationView.of(operation))
                .location(URI.create("/api/v1/operations/" + operation.id))
                .build();
    }
}

package io.multiplicity.cli;

import com.fasterxml.jackson.databind.JsonNode;

/** The panel's answer to a refused request: its HTTP status and error body {"error","message","details"}. */
public class ApiError extends CliException {

    private final int status;
    private final String code;
    private final JsonNode details;

    public ApiError(int status, String code, String message, JsonNode details) {
        super(exitCodeFor(status), message);
        this.status = status;
        this.code = code;
        this.details = details;
    }

    static int exitCodeFor(int status) {
        return switch (status) {
            case 401, 403 -> ExitCodes.AUTH;
            case 404 -> ExitCodes.NOT_FOUND;
            default -> ExitCodes.API_ERROR;
        };
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public JsonNode details() {
        return details;
    }
}

package io.multiplicity.common;

/** An error the API reports to its caller with a status, a code and a message. */
public class ApiException extends RuntimeException {

    private final int status;
    private final String code;
    private final transient Object details;

    public ApiException(int status, String code, String message, Object details) {
        super(message);
        this.status = status;
        this.code = code;
        this.details = details;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public Object details() {
        return details;
    }

    public static ApiException badRequest(String code, String message, Object details) {
        return new ApiException(400, code, message, details);
    }

    public static ApiException notFound(String what, Object id) {
        return new ApiException(404, "not_found", what + " " + id + " not found", null);
    }

    public static ApiException forbidden(String message) {
        return new ApiException(403, "forbidden", message, null);
    }

    public static ApiException conflict(String code, String message, Object details) {
        return new ApiException(409, code, message, details);
    }
}

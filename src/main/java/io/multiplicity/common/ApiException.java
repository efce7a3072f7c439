package io.multiplicity.common;

/** An error the API reports to its caller with a status, a code and a message. */
public class ApiException extends RuntimeException {

    private final int status;
    private final String code;
    private final transient Object details;
    private final int retryAfterSeconds;

    public ApiException(int status, String code, String message, Object details) {
        this(status, code, message, details, 0);
    }

    private ApiException(int status, String code, String message, Object details, int retryAfterSeconds) {
        super(message);
        this.status = status;
        this.code = code;
        this.details = details;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** Seconds after which a retry may succeed ({@code Retry-After}), or 0. */
    public int retryAfterSeconds() {
        return retryAfterSeconds;
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

    /** 429: the caller exceeded a limit; it may retry after {@code seconds}. */
    public static ApiException tooManyRequests(String code, String message, int seconds, Object details) {
        return new ApiException(429, code, message, details, Math.max(1, seconds));
    }

    public static ApiException conflict(String code, String message, Object details) {
        return new ApiException(409, code, message, details);
    }
}

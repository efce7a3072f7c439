package io.multiplicity.common.openapi;

/**
 * Names shared by the resources' OpenAPI annotations and {@link ApiContractFilter}: the reusable
 * responses of {@code components/responses} and the shared schemas.
 */
public final class ApiContract {

    /** The answer to every mutation that runs as an operation: 202, the operation, and its Location. */
    public static final String ACCEPTED = "Accepted";
    /** The one error body of every 4xx and 5xx ({@link io.multiplicity.common.ApiError}). */
    public static final String ERROR_SCHEMA = "ApiError";
    /** The header naming where a created resource or an accepted operation can be read. */
    public static final String LOCATION = "Location";
    /** The paths of the public API; the portal's own routes are not part of the contract. */
    public static final String API_PREFIX = "/api/v1";
    /** The operation schema every 202 answers with. */
    public static final String OPERATION_SCHEMA = "OperationView";

    private ApiContract() {
    }
}

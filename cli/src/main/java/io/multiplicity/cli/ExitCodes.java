package io.multiplicity.cli;

/** What the CLI's exit status means (documented in the README and in {@code multiplicity --help}). */
public final class ExitCodes {

    public static final int OK = 0;
    /** The panel refused the request (a 4xx other than the ones below, or a 5xx). */
    public static final int API_ERROR = 1;
    /** The command line was wrong: an unknown command or option, a missing or malformed argument. */
    public static final int USAGE = 2;
    /** What was named does not exist (or belongs to another tenant: the panel answers the same). */
    public static final int NOT_FOUND = 3;
    /** Not logged in, the credentials expired or were revoked, or the role does not allow it. */
    public static final int AUTH = 4;
    /** An operation the command followed with {@code --wait} failed or was cancelled. */
    public static final int OPERATION_FAILED = 5;
    /** The panel or the identity provider could not be reached. */
    public static final int UNREACHABLE = 6;

    private ExitCodes() {
    }
}

package io.multiplicity.console;

/** WebSocket close codes of the console gateway (4000–4999 are the application's). */
public final class CloseCodes {

    /** The session ended normally. */
    public static final int NORMAL = 1000;
    /** Nothing was typed or printed for the idle timeout. */
    public static final int IDLE = 4000;
    /** A message larger than the console takes (RFC 6455 "message too big"). */
    public static final int TOO_BIG = 1009;
    /** The viewer read too slowly and fell more than its buffer behind. */
    public static final int TOO_SLOW = 4008;
    /** A read-only viewer sent what cannot be told from input (RFC 6455 "policy violation"). */
    public static final int POLICY = 1008;
    /** RFC 6455 7.4.1 registry: "Try Again Later" (a limit; the client may retry). */
    public static final int TRY_AGAIN_LATER = 1013;
    /** The ticket does not exist or is malformed. */
    public static final int UNKNOWN_TICKET = 4401;
    /** The ticket is for another console type, tenant or instance. */
    public static final int WRONG_TICKET = 4403;
    /** The user's access ended while the session was open (account disabled or deleted, role or tenant taken away). */
    public static final int ACCESS_ENDED = 4406;
    /** The ticket was used before. */
    public static final int TICKET_USED = 4409;
    /** The ticket expired. */
    public static final int TICKET_EXPIRED = 4410;
    /** The instance's console is not available (not running, or it ended). */
    public static final int UNAVAILABLE = 4503;

    private CloseCodes() {
    }
}

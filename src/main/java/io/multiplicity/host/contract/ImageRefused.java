package io.multiplicity.host.contract;

/**
 * An image store refused what it was given, before it wrote anything.
 *
 * <p>{@code code} is a stable, machine-readable reason that the control plane passes on to the
 * client: {@code too_large}, {@code too_many_entries}, {@code path_escape}, {@code truncated},
 * {@code unsupported_entry}, {@code missing_kernel}, …
 */
public final class ImageRefused extends RuntimeException {

    private final String code;

    public ImageRefused(String code, String message) {
        super(message);
        this.code = code;
    }

    public String code() {
        return code;
    }

    /** Whether the refusal is about size (the client sent too much) rather than content. */
    public boolean tooLarge() {
        return "too_large".equals(code) || "too_many_entries".equals(code);
    }
}

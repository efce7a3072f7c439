package io.multiplicity.common;

import java.util.Map;
import java.util.regex.Pattern;

/** Validation of resource names: DNS labels (RFC 1123), at most 63 characters. */
public final class Names {

    public static final int MAX_LENGTH = 63;
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    private Names() {
    }

    public static boolean isDnsLabel(String name) {
        return name != null && name.length() <= MAX_LENGTH && DNS_LABEL.matcher(name).matches();
    }

    /** Throws a 400 naming the field unless {@code name} is a DNS label. */
    public static String requireDnsLabel(String field, String name) {
        if (name == null || name.isEmpty()) {
            throw ApiException.badRequest("validation_failed", field + " is required", Map.of("field", field));
        }
        if (name.length() > MAX_LENGTH) {
            throw ApiException.badRequest("validation_failed",
                    field + " must be at most " + MAX_LENGTH + " characters, got " + name.length(),
                    Map.of("field", field, "maxLength", MAX_LENGTH));
        }
        if (!DNS_LABEL.matcher(name).matches()) {
            throw ApiException.badRequest("validation_failed",
                    field + " must be a DNS label: lower-case letters, digits and '-', not starting or ending with '-'",
                    Map.of("field", field));
        }
        return name;
    }
}

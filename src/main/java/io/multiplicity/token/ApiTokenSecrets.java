package io.multiplicity.token;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The shape of an API token: {@code mpt_<lookup>_<secret>}, where the lookup part (16 hex digits)
 * finds the row and the secret (32 random bytes, base64url) proves possession. Only the SHA-256 of
 * the whole token is stored; a presented token is compared with it in constant time. A token is
 * high-entropy, so a plain hash (not a password hash) is the right tool: nothing can be guessed.
 */
public final class ApiTokenSecrets {

    /** Every token starts with this, so scanners (and people) recognise a leaked one. */
    public static final String MARKER = "mpt_";

    private static final Pattern SHAPE = Pattern.compile("mpt_([0-9a-f]{16})_([A-Za-z0-9_-]{43})");
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A fresh token: its lookup part and the whole text, shown to its creator once. */
    public record Fresh(String lookup, String text) {
    }

    private ApiTokenSecrets() {
    }

    public static Fresh generate() {
        byte[] lookup = new byte[8];
        byte[] secret = new byte[32];
        RANDOM.nextBytes(lookup);
        RANDOM.nextBytes(secret);
        String lookupText = HexFormat.of().formatHex(lookup);
        return new Fresh(lookupText, MARKER + lookupText + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret));
    }

    /** The lookup part of a text that has a token's shape, or null for anything else (a JWT, garbage). */
    public static String lookupOf(String text) {
        if (text == null) {
            return null;
        }
        var matcher = SHAPE.matcher(text);
        return matcher.matches() ? matcher.group(1) : null;
    }

    public static byte[] hash(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Whether {@code text} is the token whose hash is {@code stored}; constant time in the hash. */
    public static boolean matches(String text, byte[] stored) {
        return MessageDigest.isEqual(hash(text), stored);
    }
}

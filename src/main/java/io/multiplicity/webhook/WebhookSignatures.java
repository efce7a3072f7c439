package io.multiplicity.webhook;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * How deliveries are signed. The header {@code Multiplicity-Signature: t=<unix seconds>,v1=<hex>}
 * carries the time of the attempt and HMAC-SHA256, keyed with the endpoint's secret (its whole
 * text, {@code whsec_…}, as UTF-8), over {@code <t>.<body>}. A receiver recomputes it over the raw
 * body, compares in constant time, and refuses a {@code t} too far from its own clock (replays).
 */
public final class WebhookSignatures {

    public static final String SIGNATURE_HEADER = "Multiplicity-Signature";
    public static final String EVENT_HEADER = "Multiplicity-Event";
    public static final String DELIVERY_HEADER = "Multiplicity-Delivery";
    static final String SECRET_MARKER = "whsec_";

    private static final SecureRandom RANDOM = new SecureRandom();

    private WebhookSignatures() {
    }

    public static String newSecret() {
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        return SECRET_MARKER + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    }

    /** The value of the signature header for this body sent at {@code unixSeconds}. */
    public static String header(String secret, long unixSeconds, String body) {
        return "t=" + unixSeconds + ",v1=" + hmac(secret, unixSeconds + "." + body);
    }

    static String hmac(String secret, String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HMAC-SHA256 is unavailable", e);
        }
    }
}

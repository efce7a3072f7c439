package io.multiplicity.sshkey;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.math.BigInteger;
import java.util.Base64;
import java.util.Set;

/**
 * An OpenSSH public key as people paste it ({@code type base64 [comment]}, one line of an
 * {@code authorized_keys} file without options), checked the way {@code ssh-keygen -l} reads it:
 * a known type, a blob that decodes and names the same type, the parts that type has and nothing
 * after them, RSA moduli of at least 2048 bits.
 *
 * @param type        e.g. {@code ssh-ed25519}
 * @param blob        the key's wire encoding
 * @param comment     what follows the key, or null
 * @param fingerprint {@code SHA256:} and the unpadded base64 of the blob's SHA-256, as {@code ssh-keygen -l}
 * @param bits        the key's size in bits
 */
public record SshPublicKey(String type, byte[] blob, String comment, String fingerprint, int bits) {

    /** At most this long, as pasted. */
    public static final int MAX_LENGTH = 16 * 1024;

    private static final Set<String> TYPES = Set.of("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256",
            "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com",
            "sk-ecdsa-sha2-nistp256@openssh.com");

    /** Thrown for text that is not such a key, with what is wrong. */
    public static final class Invalid extends IllegalArgumentException {
        Invalid(String message) {
            super(message);
        }
    }

    /** The key in its canonical form: {@code type base64[ comment]}. */
    public String text() {
        return type + " " + Base64.getEncoder().encodeToString(blob) + (comment == null ? "" : " " + comment);
    }

    public static SshPublicKey parse(String text) {
        if (text == null || text.isBlank()) {
            throw new Invalid("the key is empty");
        }
        if (text.length() > MAX_LENGTH) {
            throw new Invalid("a key is at most " + MAX_LENGTH + " characters");
        }
        String line = text.strip();
        if (line.contains("\n") || line.contains("\r")) {
            throw new Invalid("one key, on one line");
        }
        String[] parts = line.split("\\s+", 3);
        String type = parts[0];
        if (!TYPES.contains(type)) {
            throw new Invalid("not an OpenSSH public key of a known type (" + String.join(", ", TYPES.stream().sorted()
                    .toList()) + "); options before the key are not taken");
        }
        if (parts.length < 2) {
            throw new Invalid("the key's base64 part is missing");
        }
        byte[] blob;
        try {
            blob = Base64.getDecoder().decode(parts[1]);
        } catch (IllegalArgumentException e) {
            throw new Invalid("the key's base64 part does not decode");
        }
        String comment = parts.length > 2 ? parts[2].strip() : null;
        if (comment != null && (comment.length() > 255 || !comment.chars().allMatch(c -> c >= 0x20 && c != 0x7f))) {
            throw new Invalid("the comment is longer than 255 characters or has control characters");
        }
        ByteBuffer buffer = ByteBuffer.wrap(blob);
        String named = new String(string(buffer), StandardCharsets.US_ASCII);
        if (!named.equals(type)) {
            throw new Invalid("the key says it is " + type + " but its data is " + named);
        }
        int bits;
        switch (type) {
            case "ssh-ed25519" -> {
                bits = requireLength(string(buffer), 32, "ed25519 key") * 8;
            }
            case "sk-ssh-ed25519@openssh.com" -> {
                bits = requireLength(string(buffer), 32, "ed25519 key") * 8;
                string(buffer);  // application
            }
            case "ssh-rsa" -> {
                BigInteger exponent = new BigInteger(string(buffer));
                BigInteger modulus = new BigInteger(string(buffer));
                if (exponent.signum() <= 0 || modulus.signum() <= 0) {
                    throw new Invalid("not a valid RSA key");
                }
                bits = modulus.bitLength();
                if (bits < 2048) {
                    throw new Invalid("RSA keys must have at least 2048 bits; this one has " + bits);
                }
            }
            default -> {  // ecdsa-sha2-<curve>, sk-ecdsa-sha2-nistp256@openssh.com
                String curve = new String(string(buffer), StandardCharsets.US_ASCII);
                if (!type.contains(curve)) {
                    throw new Invalid("the key's curve " + curve + " is not the one its type names");
                }
                byte[] point = string(buffer);
                if (point.length == 0 || point[0] != 4) {
                    throw new Invalid("not a valid ECDSA key");
                }
                bits = switch (curve) {
                    case "nistp384" -> 384;
                    case "nistp521" -> 521;
                    default -> 256;
                };
                if (type.startsWith("sk-")) {
                    string(buffer);  // application
                }
            }
        }
        if (buffer.hasRemaining()) {
            throw new Invalid("the key's data goes on after the key");
        }
        return new SshPublicKey(type, blob, comment == null || comment.isEmpty() ? null : comment, fingerprint(blob),
                bits);
    }

    private static byte[] string(ByteBuffer buffer) {
        if (buffer.remaining() < 4) {
            throw new Invalid("the key's data is cut short");
        }
        int length = buffer.getInt();
        if (length < 0 || length > buffer.remaining()) {
            throw new Invalid("the key's data is cut short");
        }
        byte[] value = new byte[length];
        buffer.get(value);
        return value;
    }

    private static int requireLength(byte[] value, int length, String what) {
        if (value.length != length) {
            throw new Invalid("not a valid " + what);
        }
        return length;
    }

    static String fingerprint(byte[] blob) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(blob);
            return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

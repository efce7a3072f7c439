package io.multiplicity.common;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;

/**
 * Opaque keyset cursors: the (created_at, id) of the last item of a page, base64url-encoded.
 * Keyset paging stays fast and stable while rows are inserted, unlike offsets.
 */
public final class Cursors {

    public static final int DEFAULT_LIMIT = 50;
    public static final int MAX_LIMIT = 500;

    private Cursors() {
    }

    public record Position(Instant createdAt, UUID id) {
    }

    public static String encode(Instant createdAt, UUID id) {
        String raw = (createdAt.getEpochSecond() * 1_000_000 + createdAt.getNano() / 1000) + ":" + id;
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    public static Position decode(String cursor) {
        if (cursor == null || cursor.isEmpty()) {
            return null;
        }
        try {
            String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            int colon = raw.indexOf(':');
            long micros = Long.parseLong(raw.substring(0, colon));
            Instant at = Instant.ofEpochSecond(micros / 1_000_000, micros % 1_000_000 * 1000);
            return new Position(at, UUID.fromString(raw.substring(colon + 1)));
        } catch (RuntimeException e) {
            throw ApiException.badRequest("invalid_cursor", "the cursor is not one this API issued",
                    Map.of("field", "cursor"));
        }
    }

    public static int limit(Integer limit) {
        if (limit == null) {
            return DEFAULT_LIMIT;
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            throw ApiException.badRequest("validation_failed", "limit must be between 1 and " + MAX_LIMIT,
                    Map.of("field", "limit"));
        }
        return limit;
    }
}

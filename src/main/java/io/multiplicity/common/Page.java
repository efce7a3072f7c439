package io.multiplicity.common;

import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * One page of a list: the items and the cursor of the next page, null on the last page.
 */
@Schema(requiredProperties = "items")
public record Page<T>(List<T> items, String next) {

    /**
     * The page of {@code rows}, which were read with a limit of {@code size + 1}: a row beyond
     * {@code size} means there is a next page, whose cursor is the last kept row's position.
     */
    public static <T> Page<T> of(List<T> rows, int size, Function<T, Instant> createdAt, Function<T, UUID> id) {
        if (rows.size() <= size) {
            return new Page<>(rows, null);
        }
        List<T> kept = rows.subList(0, size);
        T last = kept.get(size - 1);
        return new Page<>(kept, Cursors.encode(createdAt.apply(last), id.apply(last)));
    }
}

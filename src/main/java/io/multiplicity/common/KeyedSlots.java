package io.multiplicity.common;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/** Counts what each key holds at once (streams of a user, imports of a tenant), up to a limit. */
public final class KeyedSlots<K> {

    private final Map<K, Integer> held = new ConcurrentHashMap<>();

    /** Takes a slot for {@code key}, or null when it holds {@code limit}; run the result once to give it back. */
    public Runnable tryTake(K key, int limit) {
        AtomicBoolean granted = new AtomicBoolean();
        held.compute(key, (k, count) -> {
            int current = count == null ? 0 : count;
            if (current >= limit) {
                return count;
            }
            granted.set(true);
            return current + 1;
        });
        if (!granted.get()) {
            return null;
        }
        AtomicBoolean released = new AtomicBoolean();
        return () -> {
            if (released.compareAndSet(false, true)) {
                held.computeIfPresent(key, (k, count) -> count <= 1 ? null : count - 1);
            }
        };
    }

    /** How many slots {@code key} holds. */
    public int held(K key) {
        return held.getOrDefault(key, 0);
    }
}

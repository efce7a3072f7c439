package io.multiplicity.agent.jail;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Where the time of a jail's provisioning and start went, step by step (the clone, the id shift,
 * the console keeper and the runtime's create, the network, the runtime's start, ...): the
 * driver logs it at debug level and keeps the last one per jail for benchmarks.
 */
public final class StartSpans {

    private final Map<String, Long> nanos = new LinkedHashMap<>();
    private long mark = System.nanoTime();

    /** Ends the current step, naming it, and begins the next. */
    void lap(String step) {
        long now = System.nanoTime();
        nanos.merge(step, now - mark, Long::sum);
        mark = now;
    }

    /** Goes on after a pause (the time since the last step counts for none). */
    StartSpans resume() {
        mark = System.nanoTime();
        return this;
    }

    /** Adds a step that ran beside the others (its own duration, not a lap). */
    void add(String step, long durationNanos) {
        nanos.merge(step, durationNanos, Long::sum);
    }

    /** Milliseconds per step, in the order the steps first ran. */
    public Map<String, Double> millis() {
        Map<String, Double> millis = new LinkedHashMap<>();
        nanos.forEach((step, value) -> millis.put(step, value / 1e6));
        return Collections.unmodifiableMap(millis);
    }

    @Override
    public String toString() {
        return nanos.entrySet().stream()
                .map(entry -> String.format(Locale.ROOT, "%s %.1f ms", entry.getKey(), entry.getValue() / 1e6))
                .collect(Collectors.joining(", "));
    }
}

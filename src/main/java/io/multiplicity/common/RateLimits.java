package io.multiplicity.common;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Token buckets per (limit, key) on this replica: a key (a user, a client address) may spend up
 * to a limit's allowance at once and gets it back evenly over a minute. Refusals answer 429 with
 * the seconds until the next token as {@code Retry-After}.
 */
@ApplicationScoped
public class RateLimits {

    /** What is limited, and by what key. */
    public enum Limit {
        /** per user */
        CONSOLE_TICKETS("console tickets"),
        /** per client address */
        CONSOLE_CONNECTS("console connections"),
        /** per user */
        REPORTS("usage and billing reports");

        final String what;

        Limit(String what) {
            this.what = what;
        }
    }

    /** Beyond this many keys, buckets that refilled completely are dropped. */
    private static final int TIDY_ABOVE = 10_000;

    @Inject
    RateLimitsConfig config;

    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    private static final class Bucket {
        double tokens;
        long updatedNanos;

        Bucket(double tokens, long now) {
            this.tokens = tokens;
            this.updatedNanos = now;
        }
    }

    /** Spends one token of {@code key}'s allowance, or throws 429 {@code rate_limited}. */
    public void acquire(Limit limit, Object key) {
        long waitSeconds = take(limit, key);
        if (waitSeconds > 0) {
            throw ApiException.tooManyRequests("rate_limited", "too many " + limit.what + "; try again in "
                    + waitSeconds + " s", (int) waitSeconds, Map.of("limit", perMinute(limit), "per", "minute"));
        }
    }

    /** Spends one token if there is one; false when the allowance is spent. */
    public boolean tryAcquire(Limit limit, Object key) {
        return take(limit, key) == 0;
    }

    /** 0 when a token was taken, else the seconds until one is back. */
    private long take(Limit limit, Object key) {
        int perMinute = perMinute(limit);
        double perNano = perMinute / 60e9;
        long now = System.nanoTime();
        if (buckets.size() > TIDY_ABOVE) {
            tidy(now);
        }
        Bucket bucket = buckets.computeIfAbsent(limit + "/" + key, k -> new Bucket(perMinute, now));
        synchronized (bucket) {
            bucket.tokens = Math.min(perMinute, bucket.tokens + (now - bucket.updatedNanos) * perNano);
            bucket.updatedNanos = now;
            if (bucket.tokens >= 1) {
                bucket.tokens -= 1;
                return 0;
            }
            return Math.max(1, (long) Math.ceil((1 - bucket.tokens) / perNano / 1e9));
        }
    }

    private int perMinute(Limit limit) {
        return Math.max(1, switch (limit) {
            case CONSOLE_TICKETS -> config.consoleTicketsPerMinute();
            case CONSOLE_CONNECTS -> config.consoleConnectsPerMinute();
            case REPORTS -> config.reportsPerMinute();
        });
    }

    private void tidy(long now) {
        buckets.entrySet().removeIf(entry -> {
            Bucket bucket = entry.getValue();
            synchronized (bucket) {
                return now - bucket.updatedNanos > 60_000_000_000L;
            }
        });
    }
}

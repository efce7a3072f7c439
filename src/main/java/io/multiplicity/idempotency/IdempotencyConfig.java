package io.multiplicity.idempotency;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** How long the answer to a request with an Idempotency-Key is kept for its retries. */
@ConfigMapping(prefix = "multiplicity.idempotency")
public interface IdempotencyConfig {

    /** A key and its first answer are kept this long; after it, the key may be used afresh. */
    @WithDefault("PT24H")
    Duration retention();

    /** How often expired keys are deleted. */
    @WithDefault("1h")
    String cleanupEvery();
}

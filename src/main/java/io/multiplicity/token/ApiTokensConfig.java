package io.multiplicity.token;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Limits of the API tokens the panel issues. */
@ConfigMapping(prefix = "multiplicity.tokens")
public interface ApiTokensConfig {

    /** How long a token lives when its creator names no expiry. */
    @WithDefault("P30D")
    Duration defaultLifetime();

    /** The longest lifetime a token may be given. */
    @WithDefault("P365D")
    Duration maxLifetime();

    /** At most this many live (unrevoked, unexpired) tokens per tenant, and for the platform. */
    @WithDefault("100")
    int maxLivePerTenant();
}

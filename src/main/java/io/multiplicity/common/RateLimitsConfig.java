package io.multiplicity.common;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Per-user, per-address and per-tenant limits on what costs the panel work (429 beyond them). */
@ConfigMapping(prefix = "multiplicity.rate-limits")
public interface RateLimitsConfig {

    /** Console tickets one user may ask for per minute. */
    @WithDefault("30")
    int consoleTicketsPerMinute();

    /** Console WebSocket connections one client address may open per minute, refused ones included. */
    @WithDefault("60")
    int consoleConnectsPerMinute();

    /** Usage and billing reports one user may ask for per minute. */
    @WithDefault("30")
    int reportsPerMinute();

    /** Image imports (uploads and URL imports) one tenant may run at once. */
    @WithDefault("2")
    int importsPerTenant();
}

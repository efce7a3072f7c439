package io.multiplicity.webhook;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** Delivery of webhooks: timing, retries and whom the sender trusts. */
@ConfigMapping(prefix = "multiplicity.webhooks")
public interface WebhooksConfig {

    /** How often new events are fanned out to endpoints and due deliveries are sent. */
    @WithDefault("1s")
    String pollInterval();

    /** The wait after a delivery's first failure; it doubles with every further failure. */
    @WithDefault("30s")
    Duration backoffBase();

    /** The longest wait between two attempts of a delivery. */
    @WithDefault("1h")
    Duration backoffMax();

    /** An endpoint whose deliveries have failed for this long, without a success, is disabled. */
    @WithDefault("24h")
    Duration disableAfter();

    /** How long one attempt may take (connect and answer). */
    @WithDefault("10s")
    Duration timeout();

    /**
     * A PKCS#12 trust store of the certificate authorities endpoints may present; without one, the
     * JVM's default authorities.
     */
    Optional<String> trustStore();

    /** The trust store's password. */
    Optional<String> trustStorePassword();

    /**
     * Whether endpoints may resolve to loopback, private or link-local addresses. Off in production,
     * so a tenant cannot aim the panel at the provider's internal services.
     */
    @WithDefault("false")
    boolean allowPrivateAddresses();

    /** At most this many endpoints per tenant. */
    @WithDefault("20")
    int maxEndpointsPerTenant();
}

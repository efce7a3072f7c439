package io.multiplicity.webhook;

import io.multiplicity.support.RecordingHostProfile;
import java.util.HashMap;
import java.util.Map;

/**
 * The in-memory host, and webhooks that trust the test receiver's certificate, may call it on
 * localhost, retry after 200 ms, 400 ms, … (at most 2 s), and disable an endpoint that has failed
 * for 5 seconds.
 */
public class WebhookProfile extends RecordingHostProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        WebhookReceiverCertificate.ensure();
        Map<String, String> overrides = new HashMap<>(super.getConfigOverrides());
        overrides.put("multiplicity.webhooks.trust-store", WebhookReceiverCertificate.TRUST_STORE.toString());
        overrides.put("multiplicity.webhooks.trust-store-password", WebhookReceiverCertificate.PASSWORD);
        overrides.put("multiplicity.webhooks.allow-private-addresses", "true");
        overrides.put("multiplicity.webhooks.backoff-base", "PT0.2S");
        overrides.put("multiplicity.webhooks.backoff-max", "PT2S");
        overrides.put("multiplicity.webhooks.poll-interval", "200ms");
        // "failing for a day" shortened to 5 seconds
        overrides.put("multiplicity.webhooks.disable-after", "PT5S");
        return overrides;
    }
}

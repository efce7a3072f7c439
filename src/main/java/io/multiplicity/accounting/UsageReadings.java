package io.multiplicity.accounting;

import java.util.Map;
import java.util.UUID;

/**
 * What a tenant really uses now, per quota resource, as measured on its hosts. Resources nobody
 * measures are absent from the map.
 */
public interface UsageReadings {

    Map<String, Long> current(UUID tenantId);
}

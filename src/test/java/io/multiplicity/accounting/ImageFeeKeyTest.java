package io.multiplicity.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.math.BigDecimal;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Which fee of a plan an instance of a provider image pays, now that two provider images may share
 * a name (the Debian jail image and the Debian VM image are both {@code debian}).
 */
class ImageFeeKeyTest {

    @Test
    void aFeeForANameCoversEveryKindUnlessOneKindHasItsOwn() {
        Map<String, BigDecimal> byName = Map.of("debian", new BigDecimal("0.01"));
        assertEquals("debian", Rating.feeKey(byName, "debian", "jail"));
        assertEquals("debian", Rating.feeKey(byName, "debian", "vm"));

        Map<String, BigDecimal> vmOwn = Map.of("debian", new BigDecimal("0.01"), "debian:vm", new BigDecimal("0.05"));
        assertEquals("debian", Rating.feeKey(vmOwn, "debian", "jail"));
        assertEquals("debian:vm", Rating.feeKey(vmOwn, "debian", "vm"));

        Map<String, BigDecimal> vmOnly = Map.of("debian:vm", new BigDecimal("0.05"));
        assertNull(Rating.feeKey(vmOnly, "debian", "jail"), "the jail image has no fee");
        assertEquals("debian:vm", Rating.feeKey(vmOnly, "debian", "vm"));
        assertNull(Rating.feeKey(vmOnly, "busybox", "jail"));
    }
}

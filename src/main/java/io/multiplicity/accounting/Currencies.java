package io.multiplicity.accounting;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Currency;

/**
 * Money amounts in a currency's own minor units (ISO 4217): no decimals for JPY or KRW, two for EUR
 * or USD, three for BHD or KWD. A code the JDK does not know is taken with two, the common case.
 */
public final class Currencies {

    /** Minor units of a currency whose code ISO 4217 does not define. */
    public static final int DEFAULT_MINOR_UNITS = 2;

    private Currencies() {
    }

    /** The number of decimals an amount due in this currency is written with. */
    public static int minorUnits(String code) {
        try {
            int digits = Currency.getInstance(code).getDefaultFractionDigits();
            return digits < 0 ? DEFAULT_MINOR_UNITS : digits;
        } catch (IllegalArgumentException | NullPointerException e) {
            return DEFAULT_MINOR_UNITS;
        }
    }

    /** The amount rounded half-up to the currency's minor units. */
    public static BigDecimal due(BigDecimal amount, String code) {
        return amount.setScale(minorUnits(code), RoundingMode.HALF_UP);
    }
}

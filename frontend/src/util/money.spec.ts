import { describe, expect, it } from 'vitest';
import { centsHalfUp, currencyDecimals, formatAmountDue, formatCost, roundHalfUp, toMicros } from './money';

describe('money', () => {
  it('counts in millionths exactly', () => {
    expect(toMicros(0.000167)).toBe(167);
    expect(toMicros(0.1 + 0.2)).toBe(300_000);
    expect(toMicros(12345.678901)).toBe(12_345_678_901);
  });

  it('rounds half-up to cents where floating point would not', () => {
    expect(centsHalfUp(0.004999)).toBe(0);
    expect(centsHalfUp(0.005)).toBe(1);
    expect(centsHalfUp(1.005)).toBe(101); // 1.005 is 1.00499999… as a double
    expect(centsHalfUp(2.675)).toBe(268);
    expect(centsHalfUp(-0.005)).toBe(-1);
    expect(centsHalfUp(0)).toBe(0);
  });

  it('shows costs to the millionth and amounts due to the cent', () => {
    expect(formatCost(0.000167, 'EUR')).toBe('€0.000167');
    expect(formatCost(12.5, 'EUR')).toBe('€12.50');
    expect(formatCost(1234.5, 'EUR')).toBe('€1,234.50');
    expect(formatAmountDue(1.005, 'EUR')).toBe('€1.01');
    expect(formatAmountDue(0.000167, 'EUR')).toBe('€0.00');
    expect(formatCost(undefined)).toBe('—');
    expect(formatAmountDue(Number.NaN)).toBe('—');
  });

  it('rounds amounts due to the currency\'s own decimals, shown in the user\'s locale', () => {
    expect(currencyDecimals('EUR')).toBe(2);
    expect(currencyDecimals('JPY')).toBe(0);
    expect(currencyDecimals('BHD')).toBe(3);
    expect(roundHalfUp(12.5, 0)).toBe(13);
    expect(roundHalfUp(1.0005, 3)).toBe(1.001);
    expect(formatAmountDue(12.5, 'JPY', 'en')).toBe('¥13');
    expect(formatAmountDue(1.0005, 'BHD', 'en')).toBe('BHD\u00a01.001');
    expect(formatAmountDue(1234.5, 'EUR', 'de-DE')).toBe('1.234,50\u00a0€');
    expect(formatCost(0.000167, 'JPY', 'en')).toBe('¥0.000167');
    expect(formatCost(0.5, 'EUR', 'fr-FR')).toBe('0,50\u00a0€');
  });
});

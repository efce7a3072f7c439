import { describe, expect, it } from 'vitest';
import {
  formatAgo, formatBytes, formatDateTime, formatNumber, formatDuration, formatGiB, formatMiB, formatMoney, formatPercent, trimNumber,
} from './format';

describe('format', () => {
  it('formats bytes with binary units', () => {
    expect(formatBytes(0)).toBe('0\u00a0B');
    expect(formatBytes(1536)).toBe('1.5\u00a0KiB');
    expect(formatBytes(2 * 1024 ** 3)).toBe('2\u00a0GiB');
    expect(formatBytes(-1024)).toBe('-1\u00a0KiB');
    expect(formatBytes(undefined)).toBe('—');
    expect(formatBytes(Number.NaN)).toBe('—');
  });

  it('formats MiB and GiB amounts', () => {
    expect(formatMiB(512)).toBe('512\u00a0MiB');
    expect(formatMiB(2048)).toBe('2\u00a0GiB');
    expect(formatGiB(1536)).toBe('1.5\u00a0TiB');
    expect(formatGiB(null)).toBe('—');
  });

  it('trims numbers', () => {
    expect(trimNumber(2)).toBe('2');
    expect(trimNumber(2.04)).toBe('2');
    expect(trimNumber(2.25, 2)).toBe('2.25');
    expect(trimNumber(1.5, 2)).toBe('1.5');
  });

  it('formats percentages without clamping', () => {
    expect(formatPercent(0.456)).toBe('46%');
    expect(formatPercent(1.5)).toBe('150%');
    expect(formatPercent(Infinity)).toBe('—');
  });

  it('formats money in the currency\'s own decimals and the user\'s locale', () => {
    expect(formatMoney(12.5, 'EUR', 'en')).toBe('€12.50');
    expect(formatMoney(1234.5, 'EUR', 'de-DE')).toBe('1.234,50\u00a0€');
    expect(formatMoney(1234, 'JPY', 'en')).toBe('¥1,234');
    expect(formatMoney(1.234, 'BHD', 'en')).toBe('BHD\u00a01.234');
    expect(formatMoney(undefined)).toBe('—');
  });

  it('says how long ago', () => {
    const now = new Date('2026-01-01T12:00:00Z');
    expect(formatAgo('2026-01-01T11:59:50Z', now)).toBe('just now');
    expect(formatAgo('2026-01-01T11:55:00Z', now)).toBe('5\u00a0min\u00a0ago');
    expect(formatAgo('2026-01-01T09:00:00Z', now)).toBe('3\u00a0h\u00a0ago');
    expect(formatAgo('2025-12-31T12:00:00Z', now)).toBe('1\u00a0day\u00a0ago');
    expect(formatAgo(null, now)).toBe('—');
  });

  it('formats times with their time zone in the user\'s locale', () => {
    expect(formatDateTime('2026-11-21T19:05:03Z', 'en-US', 'UTC')).toBe('Nov 21, 2026, 07:05:03 PM UTC');
    expect(formatDateTime('2026-11-21T19:05:03Z', 'de-DE', 'Europe/Berlin')).toBe('21. Nov. 2026, 20:05:03 MEZ');
    expect(formatDateTime(null)).toBe('—');
  });

  it('formats numbers in the user\'s locale', () => {
    expect(formatNumber(12345.67, 1, 'en')).toBe('12,345.7');
    expect(formatNumber(12345.67, 1, 'de')).toBe('12.345,7');
  });

  it('formats durations', () => {
    const now = new Date('2026-01-01T12:00:00Z');
    expect(formatDuration('2026-01-01T11:59:18Z', '2026-01-01T12:00:00Z')).toBe('42 s');
    expect(formatDuration('2026-01-01T11:56:55Z', null, now)).toBe('3 min 5 s');
    expect(formatDuration('2026-01-01T09:56:00Z', '2026-01-01T12:00:00Z')).toBe('2 h 4 min');
  });
});

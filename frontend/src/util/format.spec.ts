import { describe, expect, it } from 'vitest';
import {
  formatAgo, formatBytes, formatDuration, formatGiB, formatMiB, formatMoney, formatPercent, trimNumber,
} from './format';

describe('format', () => {
  it('formats bytes with binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(2 * 1024 ** 3)).toBe('2 GiB');
    expect(formatBytes(-1024)).toBe('-1 KiB');
    expect(formatBytes(undefined)).toBe('—');
    expect(formatBytes(Number.NaN)).toBe('—');
  });

  it('formats MiB and GiB amounts', () => {
    expect(formatMiB(512)).toBe('512 MiB');
    expect(formatMiB(2048)).toBe('2 GiB');
    expect(formatGiB(1536)).toBe('1.5 TiB');
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

  it('formats money', () => {
    expect(formatMoney(12.5, 'EUR')).toBe('€12.50');
    expect(formatMoney(undefined)).toBe('—');
  });

  it('says how long ago', () => {
    const now = new Date('2026-01-01T12:00:00Z');
    expect(formatAgo('2026-01-01T11:59:50Z', now)).toBe('just now');
    expect(formatAgo('2026-01-01T11:55:00Z', now)).toBe('5 min ago');
    expect(formatAgo('2026-01-01T09:00:00Z', now)).toBe('3 h ago');
    expect(formatAgo('2025-12-31T12:00:00Z', now)).toBe('1 day ago');
    expect(formatAgo(null, now)).toBe('—');
  });

  it('formats durations', () => {
    const now = new Date('2026-01-01T12:00:00Z');
    expect(formatDuration('2026-01-01T11:59:18Z', '2026-01-01T12:00:00Z')).toBe('42 s');
    expect(formatDuration('2026-01-01T11:56:55Z', null, now)).toBe('3 min 5 s');
    expect(formatDuration('2026-01-01T09:56:00Z', '2026-01-01T12:00:00Z')).toBe('2 h 4 min');
  });
});

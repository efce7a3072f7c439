import { describe, expect, it } from 'vitest';
import { dnsLabelProblem, newInstanceNameProblem, suggestName } from './names';

describe('names', () => {
  it('accepts DNS labels', () => {
    expect(dnsLabelProblem('web-1')).toBeNull();
    expect(dnsLabelProblem('a')).toBeNull();
    expect(dnsLabelProblem('x'.repeat(63))).toBeNull();
  });

  it('explains what is wrong', () => {
    expect(dnsLabelProblem('')).toBe('a name is required');
    expect(dnsLabelProblem('x'.repeat(64))).toBe('at most 63 characters; this one has 64');
    expect(dnsLabelProblem('Web')).toBe('lower-case letters only');
    expect(dnsLabelProblem('-web')).toBe('must not start or end with "-"');
    expect(dnsLabelProblem('web_1')).toBe('only lower-case letters, digits and "-"');
  });

  it('suggests a valid name from an image', () => {
    expect(suggestName('busybox', 0.4821)).toBe('busybox-4821');
    expect(suggestName('debian/12', 0)).toBe('debian-12-0000');
    expect(suggestName('Alpine:3.20', 0.5)).toBe('alpine-5000');
    expect(dnsLabelProblem(suggestName('///', 0.1))).toBeNull();
  });
});

describe('new instance names', () => {
  it('refuses a long name with its length and a taken name at once', () => {
    expect(newInstanceNameProblem('a'.repeat(300), new Set())).toBe('at most 63 characters; this one has 300');
    expect(newInstanceNameProblem('web', new Set(['web', 'db']))).toBe('an instance named web exists already; choose another name');
    expect(newInstanceNameProblem('web-2', new Set(['web']))).toBeNull();
  });
});

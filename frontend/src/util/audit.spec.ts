import { describe, expect, it } from 'vitest';
import { describeAction, explainCloseReason, formatAddress } from './audit';

describe('audit log in words', () => {
  it('turns event codes into words', () => {
    expect(describeAction('instance.start')).toBe('Instance started');
    expect(describeAction('image.version.delete')).toBe('Image version deleted');
    expect(describeAction('ssh-key.add')).toBe('SSH key added');
    expect(describeAction('console.ticket')).toBe('Console opened');
    expect(describeAction('quota.set')).toBe('Quota set');
    expect(describeAction('host.addresses.add')).toBe('Host addresses added');
    expect(describeAction('mystery')).toBe('Mystery');
  });

  it('shows IPv4 as IPv4 and compresses IPv6', () => {
    expect(formatAddress('0:0:0:0:0:0:0:1')).toBe('::1 (this machine)');
    expect(formatAddress('::ffff:10.0.0.5')).toBe('10.0.0.5');
    expect(formatAddress('0:0:0:0:0:ffff:a00:5')).toBe('10.0.0.5');
    expect(formatAddress('0:0:0:0:0:ffff:7f00:1')).toBe('127.0.0.1 (this machine)');
    expect(formatAddress('127.0.0.1')).toBe('127.0.0.1 (this machine)');
    expect(formatAddress('192.0.2.7')).toBe('192.0.2.7');
    expect(formatAddress('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(formatAddress('fe80:0:0:0:0:0:0:1%eth0')).toBe('fe80::1');
    expect(formatAddress('0:0:0:0:0:0:0:1:42058')).toBe('::1 (this machine)');
    expect(formatAddress('10.0.0.5:42058')).toBe('10.0.0.5');
    expect(formatAddress('[::ffff:10.0.0.5]:42058')).toBe('10.0.0.5');
    expect(formatAddress(null)).toBe('—');
    expect(formatAddress('not an address')).toBe('not an address');
  });

  it('explains the console gateway close codes', () => {
    expect(explainCloseReason("4503 the instance's console ended")).toBe("the instance's console ended (stopped or crashed) (code 4503)");
    expect(explainCloseReason('1000')).toBe('closed normally (code 1000)');
    expect(explainCloseReason('4000 idle for 30 min')).toBe('idle too long: idle for 30 min (code 4000)');
    expect(explainCloseReason('error: broken pipe')).toBe('error: broken pipe');
    // A closed browser page sends no code; the gateway records 1005.
    expect(explainCloseReason('1005')).toBe('the browser closed it without a reason (a closed tab or window) (code 1005)');
    // A code the portal does not know still reads as a close, not as a bare number.
    expect(explainCloseReason('4999')).toBe('closed (code 4999)');
    expect(explainCloseReason('4999 something odd')).toBe('closed: something odd (code 4999)');
    expect(explainCloseReason(null)).toBe('—');
  });
});

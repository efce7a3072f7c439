import { describe, expect, it } from 'vitest';
import { publicKeyProblem, suggestKeyName } from './sshKeys';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGnUZMRtZTvWzhYvZXX1dPh8tXOv8gvWCWzM8Sx1f1lG alice@laptop';

describe('ssh keys', () => {
  it('takes a public key as OpenSSH writes it', () => {
    expect(publicKeyProblem(KEY)).toBeNull();
    expect(publicKeyProblem(`  ${KEY}\n`)).toBeNull();
  });

  it('says what is wrong with what people paste by mistake', () => {
    expect(publicKeyProblem('')).toBe('paste a public key');
    expect(publicKeyProblem('-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n-----END OPENSSH PRIVATE KEY-----'))
      .toContain('this is a private key');
    expect(publicKeyProblem(`${KEY}\n${KEY}`)).toBe('one key at a time');
    expect(publicKeyProblem('ssh-dss AAAAB3NzaC1kc3M')).toContain("starts with the key's type");
    expect(publicKeyProblem('ssh-ed25519')).toBe("the key's base64 part is missing or damaged");
    expect(publicKeyProblem('ssh-ed25519 not*base64')).toBe("the key's base64 part is missing or damaged");
  });

  it('suggests a name from the comment', () => {
    expect(suggestKeyName(KEY)).toBe('alice-laptop');
    expect(suggestKeyName('ssh-ed25519 AAAA')).toBe('my-key');
    expect(suggestKeyName('ssh-ed25519 AAAA Alice Smith (Work)')).toBe('alice-smith-work');
  });
});

import { del, get, post, segment, type Operation } from './client';

/** One of the user's SSH public keys. */
export interface SshKey {
  id: string;
  name: string;
  type: string;
  bits: number;
  fingerprint: string;
  comment?: string | null;
  publicKey: string;
  createdAt: string;
}

export const listSshKeys = (signal?: AbortSignal) => get<{ items: SshKey[] }>('/ssh-keys', undefined, signal);
export const addSshKey = (name: string, publicKey: string) => post<Operation>('/ssh-keys', { name, publicKey });
export const removeSshKey = (id: string) => del<Operation>(`/ssh-keys/${segment(id)}`);

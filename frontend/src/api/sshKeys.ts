import { del, get, post, segment, type Operation, type Schema } from './client';

/** One of the user's SSH public keys. */
export type SshKey = Schema<'SshKeyView'>;

export const listSshKeys = (signal?: AbortSignal) => get<Schema<'ItemsSshKeyView'>>('/ssh-keys', undefined, signal);
export const addSshKey = (name: string, publicKey: string) => post<Operation>('/ssh-keys', { name, publicKey });
export const removeSshKey = (id: string) => del<Operation>(`/ssh-keys/${segment(id)}`);

import { del, get, patch, post, put, segment, type Operation, type Schema } from './client';

/** A public address given whole to an instance (1:1 NAT). */
export type PublicAddress = Schema<'AddressView'>;

/** A port of a shared public address forwarded to an instance. */
export type PortForward = Schema<'ForwardView'>;

export type FirewallRule = Schema<'FirewallRule'>;

export type Firewall = Schema<'FirewallView'>;

export const listAddresses = () => get<Schema<'ItemsAddressView'>>('/addresses');
export const assignAddress = (instance: string) => post<Operation>('/addresses', { instance });
export const releaseAddress = (id: string) => del<Operation>(`/addresses/${segment(id)}`);

export const listForwards = () => get<Schema<'ItemsForwardView'>>('/forwards');
export const createForward = (forward: { instance: string; port: number; targetPort: number; protocol: 'tcp' | 'udp' }) =>
  post<Operation>('/forwards', forward);
export const deleteForward = (id: string) => del<Operation>(`/forwards/${segment(id)}`);

export const listFirewalls = () => get<Schema<'ItemsFirewallView'>>('/firewalls');
/** Whether a firewall's rules also filter the instance's own tenant network. */
export type Inside = Firewall['inside'];
export const createFirewall = (name: string, rules: FirewallRule[], inside: Inside = 'open', description?: string) =>
  post<Operation>('/firewalls', { name, rules, inside, description });
export const updateFirewall = (id: string,
  change: { name?: string; rules?: FirewallRule[]; inside?: Inside; description?: string }) =>
  patch<Operation>(`/firewalls/${segment(id)}`, change);
export const deleteFirewall = (id: string) => del<Operation>(`/firewalls/${segment(id)}`);
export const applyFirewall = (instance: string, firewall: string | null) =>
  put<Operation>(`/instances/${segment(instance)}/firewall`, { firewall });

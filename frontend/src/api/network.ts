import { del, get, patch, post, put, segment, type Operation } from './client';

/** A public address given whole to an instance (1:1 NAT). */
export interface PublicAddress {
  id: string;
  address: string;
  instance: string;
  instanceName: string;
  createdAt: string;
}

/** A port of a shared public address forwarded to an instance. */
export interface PortForward {
  id: string;
  address: string;
  protocol: 'tcp' | 'udp';
  port: number;
  instance: string;
  instanceName: string;
  targetPort: number;
  createdAt: string;
}

export interface FirewallRule {
  protocol: 'tcp' | 'udp' | 'icmp' | 'any';
  fromPort?: number | null;
  toPort?: number | null;
  source: string;
  description?: string | null;
}

export interface Firewall {
  id: string;
  name: string;
  description?: string | null;
  rules: FirewallRule[];
  instances: string[];
  createdAt: string;
  updatedAt: string;
}

export const listAddresses = () => get<{ items: PublicAddress[] }>('/addresses');
export const assignAddress = (instance: string) => post<Operation>('/addresses', { instance });
export const releaseAddress = (id: string) => del<Operation>(`/addresses/${segment(id)}`);

export const listForwards = () => get<{ items: PortForward[] }>('/forwards');
export const createForward = (forward: { instance: string; port: number; targetPort: number; protocol: 'tcp' | 'udp' }) =>
  post<Operation>('/forwards', forward);
export const deleteForward = (id: string) => del<Operation>(`/forwards/${segment(id)}`);

export const listFirewalls = () => get<{ items: Firewall[] }>('/firewalls');
export const createFirewall = (name: string, rules: FirewallRule[], description?: string) =>
  post<Operation>('/firewalls', { name, rules, description });
export const updateFirewall = (id: string, change: { name?: string; rules?: FirewallRule[]; description?: string }) =>
  patch<Operation>(`/firewalls/${segment(id)}`, change);
export const deleteFirewall = (id: string) => del<Operation>(`/firewalls/${segment(id)}`);
export const applyFirewall = (instance: string, firewall: string | null) =>
  put<Operation>(`/instances/${segment(instance)}/firewall`, { firewall });

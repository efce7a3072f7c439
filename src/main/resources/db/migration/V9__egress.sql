-- Whether a tenant's networks may reach the outside through the hosts' uplinks (source NAT).
-- Platform admins switch it per tenant.
alter table tenants add column egress boolean not null default true;

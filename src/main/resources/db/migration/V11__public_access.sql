-- Public access: the providers' public addresses per host, given whole to an instance (1:1 NAT) or
-- shared by port forwards; inbound firewall rule sets a tenant applies to its instances. Rows are
-- never deleted while they can still be billed: they are released (or removed) with a time.

create table public_addresses (
    id          uuid primary key,
    host_id     uuid        not null references hosts (id),
    address     varchar(15) not null,
    shared      boolean     not null,  -- carries port forwards of any tenant; else given whole to one instance
    created_at  timestamptz not null,
    removed_at  timestamptz
);
create unique index public_addresses_live on public_addresses (address) where removed_at is null;
create index public_addresses_host on public_addresses (host_id) where removed_at is null;

-- A public address given whole to one instance: 1:1 NAT both ways.
create table address_assignments (
    id                uuid primary key,
    tenant_id         uuid        not null references tenants (id),
    instance_id       uuid        not null references instances (id),
    public_address_id uuid        not null references public_addresses (id),
    created_at        timestamptz not null,
    released_at       timestamptz,
    check (released_at is null or released_at >= created_at)
);
create unique index address_assignments_live on address_assignments (public_address_id) where released_at is null;
create index address_assignments_tenant on address_assignments (tenant_id, created_at);

-- A port of a shared public address forwarded to a port of one instance.
create table port_forwards (
    id                uuid primary key,
    tenant_id         uuid        not null references tenants (id),
    instance_id       uuid        not null references instances (id),
    public_address_id uuid        not null references public_addresses (id),
    protocol          varchar(3)  not null check (protocol in ('tcp', 'udp')),
    port              integer     not null check (port between 1 and 65535),
    target_port       integer     not null check (target_port between 1 and 65535),
    created_at        timestamptz not null,
    released_at       timestamptz,
    check (released_at is null or released_at >= created_at)
);
create unique index port_forwards_live on port_forwards (public_address_id, protocol, port) where released_at is null;
create index port_forwards_tenant on port_forwards (tenant_id, created_at);

-- A tenant's named set of inbound rules (protocol, ports, source network), applied to instances.
create table firewalls (
    id          uuid primary key,
    tenant_id   uuid         not null references tenants (id),
    name        varchar(63)  not null,
    description varchar(255),
    rules       jsonb        not null default '[]',
    created_at  timestamptz  not null,
    updated_at  timestamptz  not null,
    deleted_at  timestamptz
);
create unique index firewalls_name on firewalls (tenant_id, name) where deleted_at is null;

alter table instances add column firewall_id uuid references firewalls (id);

-- Public addresses and port forwards are billed per hour each.
alter table plans add column address_hour numeric(14, 6) not null default 0 check (address_hour >= 0);
update plans set address_hour = 0.005000 where id = '00000000-0000-0000-0000-000000000001';

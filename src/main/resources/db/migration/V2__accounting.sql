-- Accounting: price plans with their default quotas, per-tenant quota overrides, and the
-- allocation periods that rating integrates over time.

create table plans (
    id                   uuid primary key,
    name                 varchar(63)    not null unique,
    currency             char(3)        not null default 'EUR',
    vcpu_hour            numeric(14, 6) not null default 0 check (vcpu_hour >= 0),
    memory_gib_hour      numeric(14, 6) not null default 0 check (memory_gib_hour >= 0),
    disk_gib_month       numeric(14, 6) not null default 0 check (disk_gib_month >= 0),
    snapshot_gib_month   numeric(14, 6) not null default 0 check (snapshot_gib_month >= 0),
    image_fees           jsonb,                -- image name → fee per instance-hour
    -- default quotas of the plan's tenants; null = unlimited
    max_instances        integer check (max_instances >= 0),
    max_vcpus            integer check (max_vcpus >= 0),
    max_memory_mib       bigint  check (max_memory_mib >= 0),
    max_disk_gib         bigint  check (max_disk_gib >= 0),
    max_snapshots        integer check (max_snapshots >= 0),
    max_snapshot_gib     bigint  check (max_snapshot_gib >= 0),
    max_private_images   integer check (max_private_images >= 0),
    max_addresses        integer check (max_addresses >= 0),
    max_console_sessions integer check (max_console_sessions >= 0),
    running_only         boolean not null default false,  -- vCPU and memory limits count running instances only
    created_at           timestamptz    not null default now()
);

insert into plans (id, name, currency, vcpu_hour, memory_gib_hour, disk_gib_month, snapshot_gib_month,
                   max_instances, max_vcpus, max_memory_mib, max_disk_gib, max_snapshots, max_snapshot_gib,
                   max_private_images, max_addresses, max_console_sessions, running_only)
values ('00000000-0000-0000-0000-000000000001', 'standard', 'EUR', 0.010000, 0.005000, 0.040000, 0.020000,
        50, 64, 131072, 2048, 100, 1024, 20, 50, 10, false);

alter table tenants add column plan_id uuid references plans (id);
update tenants set plan_id = '00000000-0000-0000-0000-000000000001';

-- A tenant's own limits where they differ from its plan's; null columns inherit the plan's.
create table tenant_quotas (
    tenant_id            uuid primary key references tenants (id),
    max_instances        integer check (max_instances >= 0),
    max_vcpus            integer check (max_vcpus >= 0),
    max_memory_mib       bigint  check (max_memory_mib >= 0),
    max_disk_gib         bigint  check (max_disk_gib >= 0),
    max_snapshots        integer check (max_snapshots >= 0),
    max_snapshot_gib     bigint  check (max_snapshot_gib >= 0),
    max_private_images   integer check (max_private_images >= 0),
    max_addresses        integer check (max_addresses >= 0),
    max_console_sessions integer check (max_console_sessions >= 0),
    running_only         boolean,
    updated_at           timestamptz not null default now()
);

-- What an instance held, and whether it ran, over time: one row per stretch with the same
-- allocation. Rating integrates these exactly; a change closes the open row and opens the next in
-- the transaction that makes it.
create table allocation_periods (
    id           bigserial primary key,
    instance_id  uuid        not null references instances (id),
    tenant_id    uuid        not null references tenants (id),
    host_id      uuid        references hosts (id),
    image        varchar(255),
    running      boolean     not null,
    vcpus        integer     not null,
    memory_mib   integer     not null,
    disk_gib     integer     not null,
    started_at   timestamptz not null,
    ended_at     timestamptz,
    check (ended_at is null or ended_at >= started_at)
);
create unique index allocation_periods_open on allocation_periods (instance_id) where ended_at is null;
create index allocation_periods_tenant_time on allocation_periods (tenant_id, started_at);
create index allocation_periods_time on allocation_periods (started_at, ended_at);

alter table tenants alter column plan_id set default '00000000-0000-0000-0000-000000000001';

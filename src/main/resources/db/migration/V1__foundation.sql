-- Multiplicity control plane: the foundation schema.
-- PostgreSQL holds desired state; hosts hold actual state.

create table tenants (
    id            uuid primary key,
    slug          varchar(63)  not null unique,   -- the tenant's name in the identity provider's token
    display_name  varchar(200) not null,
    created_at    timestamptz  not null default now()
);

-- Mirrors of identity-provider subjects, written when a user first calls the API.
create table users (
    id          uuid primary key,
    subject     varchar(255) not null unique,
    username    varchar(255) not null,
    email       varchar(320),
    tenant_id   uuid references tenants (id),
    first_seen  timestamptz not null,
    last_seen   timestamptz not null
);

create table hosts (
    id                    uuid primary key,
    name                  varchar(63)   not null unique,
    state                 varchar(16)   not null check (state in ('ready', 'draining', 'offline')),
    local                 boolean       not null default false,
    agent_url             varchar(500),
    cpus                  integer       not null check (cpus >= 0),
    memory_mib            bigint        not null check (memory_mib >= 0),
    storage_gib           bigint        not null check (storage_gib >= 0),
    cpu_ratio             numeric(6, 2) not null default 4.0 check (cpu_ratio > 0),
    memory_ratio          numeric(6, 2) not null default 1.0 check (memory_ratio > 0),
    disk_ratio            numeric(6, 2) not null default 1.0 check (disk_ratio > 0),
    reserved_cpus         integer       not null default 0 check (reserved_cpus >= 0),
    reserved_memory_mib   bigint        not null default 0 check (reserved_memory_mib >= 0),
    reserved_storage_gib  bigint        not null default 0 check (reserved_storage_gib >= 0),
    kinds                 varchar(64)   not null default '',   -- comma-separated: jail,vm
    facts                 jsonb,                               -- runtimes, versions, problems
    last_seen             timestamptz,
    created_at            timestamptz   not null default now()
);

create table instance_types (
    name         varchar(63) primary key,
    kind         varchar(8)   not null check (kind in ('jail', 'vm')),
    vcpus        integer      not null check (vcpus between 1 and 256),
    memory_mib   integer      not null check (memory_mib between 16 and 4194304),
    disk_gib     integer      not null check (disk_gib between 1 and 65536),
    description  varchar(200) not null default ''
);

insert into instance_types (name, kind, vcpus, memory_mib, disk_gib, description) values
    ('j1.nano',   'jail', 1,   64,  1, 'Tiny jail for a single service'),
    ('j1.small',  'jail', 1,  512,  5, 'Small jail'),
    ('j1.medium', 'jail', 2, 2048, 20, 'Medium jail'),
    ('j1.large',  'jail', 4, 8192, 50, 'Large jail'),
    ('v1.nano',   'vm',   1,  128,  1, 'Tiny microVM'),
    ('v1.small',  'vm',   1, 1024, 10, 'Small VM'),
    ('v1.medium', 'vm',   2, 4096, 40, 'Medium VM'),
    ('v1.large',  'vm',   4, 8192, 80, 'Large VM');

-- One isolated layer-2 network per tenant and host (a VLAN on the host bridge) with its subnet.
create table tenant_networks (
    id          uuid primary key,
    tenant_id   uuid        not null references tenants (id),
    host_id     uuid        not null references hosts (id),
    vlan        integer     not null check (vlan between 2 and 4094),
    subnet      varchar(43) not null,
    gateway     varchar(45) not null,
    created_at  timestamptz not null default now(),
    unique (tenant_id, host_id),
    unique (host_id, vlan),
    unique (host_id, subnet)
);

create table instances (
    id             uuid primary key,
    tenant_id      uuid         not null references tenants (id),
    name           varchar(63)  not null,
    kind           varchar(8)   not null check (kind in ('jail', 'vm')),
    instance_type  varchar(63)  references instance_types (name),
    image          varchar(255) not null,
    image_version  varchar(64),
    vcpus          integer      not null check (vcpus between 1 and 256),
    memory_mib     integer      not null check (memory_mib between 16 and 4194304),
    disk_gib       integer      not null check (disk_gib between 1 and 65536),
    desired_state  varchar(16)  not null check (desired_state in ('stopped', 'running', 'deleted')),
    actual_state   varchar(16)  not null,
    state_detail   varchar(500),
    host_id        uuid         references hosts (id),
    network_id     uuid         references tenant_networks (id),
    address        varchar(45),
    created_by     uuid         references users (id),
    created_at     timestamptz  not null,
    updated_at     timestamptz  not null,
    deleted_at     timestamptz
);
-- Names are unique among a tenant's live instances; deleted ones keep their rows for billing.
create unique index instances_tenant_name on instances (tenant_id, name) where deleted_at is null;
create index instances_tenant_created on instances (tenant_id, created_at, id);
create index instances_host on instances (host_id) where deleted_at is null;
-- IPAM: an address belongs to at most one live instance on its network.
create unique index instances_network_address on instances (network_id, address) where deleted_at is null;

create table operations (
    id                uuid primary key,
    tenant_id         uuid         references tenants (id),
    kind              varchar(64)  not null,
    target_type       varchar(32)  not null,
    target_id         uuid,
    state             varchar(16)  not null check (state in ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
    progress          integer      not null default 0 check (progress between 0 and 100),
    error             varchar(2000),
    input             jsonb,
    requested_by      uuid         references users (id),
    requested_by_name varchar(255),
    cancel_requested  boolean      not null default false,
    attempts          integer      not null default 0,
    worker_id         varchar(64),
    lease_until       timestamptz,
    created_at        timestamptz  not null,
    started_at        timestamptz,
    finished_at       timestamptz,
    updated_at        timestamptz  not null
);
create index operations_runnable on operations (created_at) where state in ('pending', 'running');
create index operations_tenant_created on operations (tenant_id, created_at, id);
create index operations_target on operations (target_id, created_at);

create table events (
    id          bigserial primary key,
    tenant_id   uuid        references tenants (id),
    type        varchar(64) not null,
    target_type varchar(32),
    target_id   uuid,
    payload     jsonb,
    created_at  timestamptz not null default now()
);
create index events_tenant_id on events (tenant_id, id);

create table audit_log (
    id              uuid primary key,
    tenant_id       uuid         references tenants (id),
    actor_id        uuid         references users (id),
    actor_name      varchar(255),
    action          varchar(64)  not null,
    target_type     varchar(32),
    target_id       uuid,
    outcome         varchar(16)  not null,
    client_address  varchar(64),
    details         jsonb,
    created_at      timestamptz  not null
);
create index audit_tenant_created on audit_log (tenant_id, created_at, id);
create index audit_created on audit_log (created_at, id);

-- Quotas, images and usage metering arrive with their own migrations.

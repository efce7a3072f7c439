-- Tenant snapshots of instance storage, counted against the snapshots quota.
create table instance_snapshots (
    id           uuid primary key,
    instance_id  uuid         not null references instances (id),
    tenant_id    uuid         not null references tenants (id),
    name         varchar(63)  not null,
    created_by   uuid         references users (id),
    created_at   timestamptz  not null,
    deleted_at   timestamptz
);
create unique index instance_snapshots_name on instance_snapshots (instance_id, name) where deleted_at is null;
create index instance_snapshots_tenant on instance_snapshots (tenant_id) where deleted_at is null;

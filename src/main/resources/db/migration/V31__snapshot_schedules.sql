-- Scheduled snapshots: per instance, how many hourly, daily and weekly snapshots to keep (0: none).
create table snapshot_schedules (
    instance_id uuid primary key references instances (id),
    tenant_id   uuid not null references tenants (id),
    hourly      integer not null default 0 check (hourly between 0 and 168),
    daily       integer not null default 0 check (daily between 0 and 90),
    weekly      integer not null default 0 check (weekly between 0 and 52),
    updated_by  uuid,
    updated_at  timestamptz not null
);

-- Which schedule took a snapshot (null: a person did); only those the schedule took are pruned by it.
alter table instance_snapshots add column schedule text check (schedule in ('hourly', 'daily', 'weekly'));

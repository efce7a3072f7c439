-- Metering: one sample per instance per interval of what it holds and what it measurably uses,
-- rolled up hourly and daily; the raw samples and the rollups are kept for configurable times.

create table metering_samples (
    instance_id      uuid        not null references instances (id),
    sampled_at       timestamptz not null,
    tenant_id        uuid        not null references tenants (id),
    host_id          uuid        references hosts (id),
    interval_seconds integer     not null check (interval_seconds > 0),  -- the time this sample stands for
    running          boolean     not null,
    vcpus            integer     not null,
    memory_mib       integer     not null,
    disk_gib         integer     not null,
    -- measured use; null where the host does not measure it
    cpu_seconds      numeric(20, 6),   -- cumulative CPU time of the instance
    memory_bytes     bigint,
    disk_used_bytes  bigint,           -- ZFS used
    disk_referenced_bytes bigint,      -- ZFS referenced
    snapshot_bytes   bigint,           -- ZFS usedbysnapshots
    net_rx_bytes     bigint,           -- cumulative
    net_tx_bytes     bigint,           -- cumulative
    primary key (instance_id, sampled_at)
);
create index metering_samples_tenant_time on metering_samples (tenant_id, sampled_at);
create index metering_samples_time on metering_samples (sampled_at);

-- Hourly ('hour') and daily ('day') summaries of the samples, per instance and bucket.
create table metering_rollups (
    instance_id           uuid        not null references instances (id),
    granularity           varchar(4)  not null check (granularity in ('hour', 'day')),
    bucket_start          timestamptz not null,
    tenant_id             uuid        not null references tenants (id),
    samples               integer     not null,
    running_seconds       bigint      not null,
    sampled_seconds       bigint      not null,
    cpu_seconds           numeric(20, 6),  -- increase over the bucket
    memory_bytes_avg      bigint,
    memory_bytes_max      bigint,
    disk_used_bytes_avg   bigint,
    snapshot_bytes_avg    bigint,
    snapshot_byte_seconds numeric(30, 0),  -- Σ usedbysnapshots × seconds: what rating integrates
    net_rx_bytes          bigint,          -- increase over the bucket
    net_tx_bytes          bigint,          -- increase over the bucket
    primary key (instance_id, granularity, bucket_start)
);
create index metering_rollups_tenant_time on metering_rollups (tenant_id, granularity, bucket_start);
create index metering_rollups_time on metering_rollups (granularity, bucket_start);

-- Up to where each level is complete: raw samples are kept from raw_from on, hourly rollups cover
-- [hourly_from, raw_from) at least, daily ones everything before. Readers take each stretch of time
-- from the finest level that still holds it.
create table metering_watermarks (
    id          smallint primary key check (id = 1),
    raw_from    timestamptz not null default '-infinity',
    hourly_from timestamptz not null default '-infinity',
    rolled_up_to timestamptz not null default '-infinity'  -- hours before this are rolled up
);
insert into metering_watermarks (id) values (1);

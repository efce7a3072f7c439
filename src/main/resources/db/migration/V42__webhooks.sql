-- Webhooks: a tenant's HTTPS endpoints, the events they want, and every delivery with its result.
create table webhook_endpoints (
    id              uuid primary key,
    tenant_id       uuid          not null references tenants (id),
    name            varchar(63)   not null,
    url             varchar(2000) not null,
    event_types     varchar(2000) not null,          -- comma-separated: instance.created, operation.*, *
    signing_secret  varchar(100)  not null,          -- HMAC key; the panel must keep it to sign
    enabled         boolean       not null default true,
    disabled_reason varchar(500),
    failing_since   timestamptz,                     -- first failure since the last success
    created_by_name varchar(255),
    created_at      timestamptz   not null,
    deleted_at      timestamptz
);
create unique index webhook_endpoints_live_name on webhook_endpoints (tenant_id, name) where deleted_at is null;
create index webhook_endpoints_tenant on webhook_endpoints (tenant_id, created_at, id);

create table webhook_deliveries (
    id              uuid primary key,
    sequence        bigserial     not null unique,   -- the order deliveries leave in, per endpoint
    endpoint_id     uuid          not null references webhook_endpoints (id),
    tenant_id       uuid          not null references tenants (id),
    event_id        bigint        not null,
    event_type      varchar(64)   not null,
    body            text          not null,          -- exactly the bytes that are signed and sent
    state           varchar(16)   not null check (state in ('pending', 'succeeded', 'failed')),
    attempts        integer       not null default 0,
    next_attempt_at timestamptz   not null,
    lease_until     timestamptz,
    last_status     integer,
    last_error      varchar(500),
    created_at      timestamptz   not null,
    finished_at     timestamptz,
    unique (endpoint_id, event_id)
);
create index webhook_deliveries_pending on webhook_deliveries (endpoint_id, sequence) where state = 'pending';
create index webhook_deliveries_endpoint_created on webhook_deliveries (endpoint_id, created_at, id);

-- How far the fan-out from the events table has come: (transaction, id) as the event streams count.
create table webhook_fanout_position (
    id          integer primary key check (id = 1),
    transaction bigint not null,
    event_id    bigint not null
);

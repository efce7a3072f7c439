-- Safe retries: the first answer to a creating request, kept under the caller's Idempotency-Key.
create table idempotency_keys (
    id             uuid primary key,
    user_id        uuid          not null references users (id),
    tenant_id      uuid          references tenants (id),   -- the tenant the caller acted for
    idempotency_key varchar(255) not null,
    request        varchar(200)  not null,                   -- e.g. "POST /api/v1/instances"
    request_hash   bytea         not null,                   -- SHA-256 of the request and its body
    status         integer       not null,
    response_body  text,
    location       varchar(500),
    created_at     timestamptz   not null,
    expires_at     timestamptz   not null
);
create unique index idempotency_keys_caller_key
    on idempotency_keys (user_id, coalesce(tenant_id, '00000000-0000-0000-0000-000000000000'), idempotency_key);
create index idempotency_keys_expiry on idempotency_keys (expires_at);

-- ETags of instances: the version of the settings a PATCH changes (sizes, restart policy).
alter table instances add column settings_version bigint not null default 1;

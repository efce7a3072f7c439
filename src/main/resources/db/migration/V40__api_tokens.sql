-- API tokens the panel issues: a tenant's (tenant_id set) or the platform's (tenant_id null).
-- Only the SHA-256 of a token is kept; its public lookup part (prefix) finds the row.
create table api_tokens (
    id              uuid primary key,
    tenant_id       uuid         references tenants (id),
    name            varchar(63)  not null,
    role            varchar(32)  not null check (role in ('platform-admin', 'tenant-admin', 'tenant-member', 'tenant-viewer')),
    prefix          varchar(32)  not null unique,
    secret_hash     bytea        not null,
    user_id         uuid         not null references users (id),   -- the mirror the token acts as
    created_by      uuid         references users (id),
    created_by_name varchar(255),
    created_at      timestamptz  not null,
    expires_at      timestamptz  not null,
    revoked_at      timestamptz,
    revoked_by_name varchar(255),
    last_used_at    timestamptz,
    last_used_from  varchar(64),
    check (tenant_id is not null or role = 'platform-admin'),
    check (tenant_id is null or role <> 'platform-admin')
);
-- A name is unique among a tenant's (or the platform's) live tokens.
create unique index api_tokens_live_name on api_tokens (coalesce(tenant_id, '00000000-0000-0000-0000-000000000000'), name)
    where revoked_at is null;
create index api_tokens_tenant_created on api_tokens (tenant_id, created_at, id);

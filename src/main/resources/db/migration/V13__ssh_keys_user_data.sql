-- Users' SSH public keys, and what an instance is told about itself: the keys chosen at its
-- creation (copied, so removing a key later does not change an instance) and its user-data.
create table ssh_keys (
    id          uuid primary key,
    user_id     uuid         not null,
    tenant_id   uuid         references tenants (id),
    name        varchar(63)  not null,
    public_key  text         not null,
    fingerprint varchar(64)  not null,  -- SHA256:<base64>, as ssh-keygen -l shows it
    created_at  timestamptz  not null,
    deleted_at  timestamptz
);
create unique index ssh_keys_name on ssh_keys (user_id, name) where deleted_at is null;
create unique index ssh_keys_fingerprint on ssh_keys (user_id, fingerprint) where deleted_at is null;

alter table instances add column ssh_keys jsonb;
alter table instances add column user_data text;

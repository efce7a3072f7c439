-- Browser consoles: single-use tickets and the audit of every console session.

create table console_tickets (
    ticket_hash    varchar(64)  primary key,   -- SHA-256 of the ticket, hex; the ticket itself is never stored
    user_id        uuid         not null references users (id),
    username       varchar(255) not null,
    tenant_id      uuid         not null references tenants (id),
    instance_id    uuid         not null references instances (id),
    type           varchar(8)   not null check (type in ('serial', 'vnc')),
    read_only      boolean      not null default false,
    client_address varchar(64),
    created_at     timestamptz  not null,
    expires_at     timestamptz  not null,
    used_at        timestamptz
);
create index console_tickets_expires on console_tickets (expires_at);

create table console_sessions (
    id             uuid primary key,
    tenant_id      uuid         not null references tenants (id),
    instance_id    uuid         not null references instances (id),
    user_id        uuid         references users (id),
    username       varchar(255) not null,
    type           varchar(8)   not null,
    read_only      boolean      not null,
    client_address varchar(64),
    started_at     timestamptz  not null,
    ended_at       timestamptz,
    bytes_in       bigint       not null default 0,   -- typed by the user
    bytes_out      bigint       not null default 0,   -- sent to the user
    close_reason   varchar(200),
    recording      varchar(500)                      -- asciicast v2 file of a recorded serial session
);
create index console_sessions_tenant on console_sessions (tenant_id, started_at);
create index console_sessions_open on console_sessions (tenant_id) where ended_at is null;

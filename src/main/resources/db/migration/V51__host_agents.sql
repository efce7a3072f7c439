-- Host agents that run as processes of their own: the control plane's agent authority (the CA that
-- signs agents' certificates and the control plane's own), and one-time enrolment tokens.

-- One row. The private key signs every agent's and every replica's certificate: whoever reads this
-- table can impersonate the control plane to agents (see docs/security.md).
create table agent_authority (
    id           smallint    primary key check (id = 1),
    certificate  text        not null,
    private_key  text        not null,
    created_at   timestamptz not null default now()
);

create table host_enrolment_tokens (
    id            uuid         primary key,
    token_sha256  varchar(64)  not null unique,
    -- a token bound to a host re-enrols that host only (new credentials for an enrolled host)
    host_id       uuid         references hosts (id),
    created_by    varchar(255) not null,
    created_at    timestamptz  not null,
    expires_at    timestamptz  not null,
    used_at       timestamptz,
    used_by_host  uuid
);

alter table hosts add column agent_certificate_serial varchar(64);

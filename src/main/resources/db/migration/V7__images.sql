-- The image catalog: images, their versions (each a snapshot of the image's dataset on the hosts),
-- channel aliases pointing at versions, and shares with named tenants.

create table images (
    id            uuid primary key,
    name          varchar(63)   not null,
    tenant_id     uuid          references tenants (id),   -- owner; null for the provider's images
    kind          varchar(8)    not null check (kind in ('jail', 'vm')),
    os            varchar(63)   not null,
    architecture  varchar(16)   not null,
    description   varchar(1000),
    visibility    varchar(8)    not null check (visibility in ('public', 'private', 'shared')),
    boot          varchar(16)   not null check (boot in ('none', 'kernel', 'firmware')),
    graphics      boolean       not null default false,
    storage_key   varchar(63)   not null unique,           -- the image's dataset name on the hosts
    built_in      boolean       not null default false,
    deprecated    boolean       not null default false,
    created_by    varchar(255)  not null,
    created_at    timestamptz   not null,
    updated_at    timestamptz   not null,
    deleted_at    timestamptz,
    -- Only the provider publishes; a tenant's images are private or shared.
    check (visibility <> 'public' or tenant_id is null)
);
create unique index images_provider_name on images (name) where tenant_id is null and deleted_at is null;
create unique index images_tenant_name on images (tenant_id, name) where tenant_id is not null and deleted_at is null;
create index images_created on images (created_at, id);

create table image_versions (
    id              uuid primary key,
    image_id        uuid          not null references images (id),
    version         varchar(64)   not null,
    seq             integer       not null check (seq > 0),      -- the snapshot @v<seq>
    format          varchar(16)   not null,
    size_bytes      bigint        not null check (size_bytes >= 0),
    unpacked_bytes  bigint        not null check (unpacked_bytes >= 0),
    sha256          char(64)      not null,
    source          varchar(1000),                                -- upload, a URL, or built-in
    deprecated      boolean       not null default false,
    created_by      varchar(255)  not null,
    created_at      timestamptz   not null,
    deleted_at      timestamptz
);
create unique index image_versions_label on image_versions (image_id, version) where deleted_at is null;
create unique index image_versions_seq on image_versions (image_id, seq);

create table image_channels (
    image_id    uuid          not null references images (id),
    channel     varchar(127)  not null,
    version_id  uuid          not null references image_versions (id),
    updated_by  varchar(255)  not null,
    updated_at  timestamptz   not null,
    primary key (image_id, channel)
);

create table image_shares (
    image_id    uuid          not null references images (id),
    tenant_id   uuid          not null references tenants (id),
    created_by  varchar(255)  not null,
    created_at  timestamptz   not null,
    primary key (image_id, tenant_id)
);

alter table instances add column image_version_id uuid references image_versions (id);
create index instances_image_version on instances (image_version_id) where deleted_at is null;

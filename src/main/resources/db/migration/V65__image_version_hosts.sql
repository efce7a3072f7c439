-- The hosts that hold an image version (its snapshot @v<seq> in their image store): the image host
-- when it imports it, any other host once the version has been copied to it for an instance.
-- Placement prefers these hosts; deleting a version destroys it on each of them, and a row stays
-- until its host has destroyed it.
create table image_version_hosts (
    version_id uuid not null references image_versions (id) on delete cascade,
    host_id    uuid not null references hosts (id) on delete cascade,
    arrived_at timestamptz not null default now(),
    primary key (version_id, host_id)
);

create index image_version_hosts_host on image_version_hosts (host_id);

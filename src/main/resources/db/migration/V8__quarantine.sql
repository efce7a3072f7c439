-- Instances a host has that the database has never heard of (a restored or emptied database, a host
-- enrolled into another installation). The reconciler never destroys them: it records them here for
-- the platform admins and leaves their data where it is.
create table quarantined_instances (
    host_id      uuid          not null references hosts (id),
    instance_id  uuid          not null,
    state        varchar(16)   not null,
    detail       varchar(500),
    first_seen   timestamptz   not null,
    last_seen    timestamptz   not null,
    primary key (host_id, instance_id)
);

-- Placement across hosts: an admin cordons a host (it keeps its instances but takes no new one),
-- and a tenant may name an anti-affinity group on create (live instances of one tenant's group run
-- on different hosts).
alter table hosts add column cordoned boolean not null default false;

alter table instances add column placement_group varchar(63);
create index instances_placement_group on instances (tenant_id, placement_group, host_id)
    where deleted_at is null and placement_group is not null;

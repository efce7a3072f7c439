-- What the live instances on each host hold, kept by the database itself: vCPUs and memory of the
-- instances meant to run, disk of every live one. Admission locks and reads this one row instead of
-- locking the host's row and summing every instance of the host (on a host with 100,000 instances
-- that sum made each create hold the lock for over a hundred milliseconds, and heartbeats, which
-- write the host's row, queued behind admissions until the host looked silent). A trigger on
-- instances changes the row in the same transaction as the instance, whatever statement changes it,
-- so the figures cannot drift from the instances they describe; every host has its row from the
-- start, so there is always one to lock.
create table host_allocations (
    host_id    uuid primary key references hosts (id) on delete cascade,
    vcpus      bigint not null default 0,
    memory_mib bigint not null default 0,
    disk_gib   bigint not null default 0
);

insert into host_allocations (host_id, vcpus, memory_mib, disk_gib)
select h.id,
       coalesce(sum(case when i.desired_state = 'running' then i.vcpus else 0 end), 0),
       coalesce(sum(case when i.desired_state = 'running' then i.memory_mib else 0 end), 0),
       coalesce(sum(i.disk_gib), 0)
from hosts h
         left join instances i on i.host_id = h.id and i.deleted_at is null
group by h.id;

-- One statement-level trigger per event, each with its transition table(s): a statement changing
-- many instances (a bulk load, a drain) changes each host's row once, with the sum of its changes;
-- a statement that changes nothing a host holds (most updates: state reports, addresses) touches no
-- row and takes no lock. Rows are changed in host id order, so two statements changing the same two
-- hosts (opposite moves) cannot deadlock. What an instance holds of its host: vCPUs and memory when
-- it is meant to run, disk while it is live.
create function host_allocations_after_insert() returns trigger language plpgsql as $$
begin
    insert into host_allocations as held (host_id, vcpus, memory_mib, disk_gib)
    select host_id, sum(vcpus), sum(memory_mib), sum(disk_gib)
    from (select host_id,
                 case when desired_state = 'running' then vcpus else 0 end as vcpus,
                 case when desired_state = 'running' then memory_mib else 0 end as memory_mib,
                 disk_gib
          from new_rows where host_id is not null and deleted_at is null) changes
    group by host_id
    having sum(vcpus) <> 0 or sum(memory_mib) <> 0 or sum(disk_gib) <> 0
    order by host_id
    on conflict (host_id) do update set vcpus      = held.vcpus + excluded.vcpus,
                                        memory_mib = held.memory_mib + excluded.memory_mib,
                                        disk_gib   = held.disk_gib + excluded.disk_gib;
    return null;
end
$$;

create function host_allocations_after_delete() returns trigger language plpgsql as $$
begin
    insert into host_allocations as held (host_id, vcpus, memory_mib, disk_gib)
    select host_id, sum(vcpus), sum(memory_mib), sum(disk_gib)
    from (select host_id,
                 -case when desired_state = 'running' then vcpus else 0 end as vcpus,
                 -case when desired_state = 'running' then memory_mib else 0 end as memory_mib,
                 -disk_gib as disk_gib
          from old_rows where host_id is not null and deleted_at is null) changes
    group by host_id
    having sum(vcpus) <> 0 or sum(memory_mib) <> 0 or sum(disk_gib) <> 0
    order by host_id
    on conflict (host_id) do update set vcpus      = held.vcpus + excluded.vcpus,
                                        memory_mib = held.memory_mib + excluded.memory_mib,
                                        disk_gib   = held.disk_gib + excluded.disk_gib;
    return null;
end
$$;

create function host_allocations_after_update() returns trigger language plpgsql as $$
begin
    insert into host_allocations as held (host_id, vcpus, memory_mib, disk_gib)
    select host_id, sum(vcpus), sum(memory_mib), sum(disk_gib)
    from (select host_id,
                 case when desired_state = 'running' then vcpus else 0 end as vcpus,
                 case when desired_state = 'running' then memory_mib else 0 end as memory_mib,
                 disk_gib
          from new_rows where host_id is not null and deleted_at is null
          union all
          select host_id,
                 -case when desired_state = 'running' then vcpus else 0 end as vcpus,
                 -case when desired_state = 'running' then memory_mib else 0 end as memory_mib,
                 -disk_gib as disk_gib
          from old_rows where host_id is not null and deleted_at is null) changes
    group by host_id
    having sum(vcpus) <> 0 or sum(memory_mib) <> 0 or sum(disk_gib) <> 0
    order by host_id
    on conflict (host_id) do update set vcpus      = held.vcpus + excluded.vcpus,
                                        memory_mib = held.memory_mib + excluded.memory_mib,
                                        disk_gib   = held.disk_gib + excluded.disk_gib;
    return null;
end
$$;

create trigger instances_host_allocations_insert
    after insert on instances referencing new table as new_rows
    for each statement execute function host_allocations_after_insert();

create trigger instances_host_allocations_update
    after update on instances referencing old table as old_rows new table as new_rows
    for each statement execute function host_allocations_after_update();

create trigger instances_host_allocations_delete
    after delete on instances referencing old table as old_rows
    for each statement execute function host_allocations_after_delete();

create function host_allocations_for_new_host() returns trigger language plpgsql as $$
begin
    insert into host_allocations (host_id) values (new.id) on conflict do nothing;
    return null;
end
$$;

create trigger hosts_host_allocations
    after insert
    on hosts
    for each row
execute function host_allocations_for_new_host();

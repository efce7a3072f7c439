-- When a host's periodic upkeep was last done, by task (reconciliation, publication of its public
-- access, metering), whichever replica did it: each replica's pass takes only the hosts whose task
-- is due, so a fleet's upkeep is done once per interval, not once per replica. Kept apart from the
-- hosts table, whose rows admission locks.
create table host_upkeep (
    host_id uuid not null references hosts (id) on delete cascade,
    task text not null,
    done_at timestamptz not null,
    primary key (host_id, task)
);

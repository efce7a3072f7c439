-- What happens to an instance meant to run that stops: 'never' restarted, restarted 'on-failure'
-- (a crash, not a power-off from inside), or 'always'; with a backoff over consecutive restarts.
alter table instances add column restart_policy varchar(16) not null default 'on-failure'
    check (restart_policy in ('never', 'on-failure', 'always'));
alter table instances add column restarts integer not null default 0 check (restarts >= 0);
alter table instances add column restarted_at timestamptz;

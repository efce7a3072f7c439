-- Events are delivered in the order their transactions became final, not in the order their ids
-- were drawn: each row carries the id of the transaction that wrote it, and a stream reads only
-- rows whose transaction is older than every transaction still running (the snapshot's xmin).
-- Nothing can later appear below that horizon, so a stream never skips a late commit.
alter table events add column tx xid8 not null default pg_current_xact_id();
create index events_order on events (tx, id);
create index events_tenant_order on events (tenant_id, tx, id);
drop index events_tenant_id;

-- Streams wake on commit instead of polling: one notification per committing transaction
-- that wrote events (PostgreSQL folds identical notifications of one transaction).
create function events_notify() returns trigger language plpgsql as $$
begin
    perform pg_notify('multiplicity_events', '');
    return null;
end
$$;
create trigger events_notify after insert on events for each statement execute function events_notify();

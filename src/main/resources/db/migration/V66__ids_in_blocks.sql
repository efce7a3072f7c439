-- The application draws event ids fifty at a time (a pooled sequence) instead of one insert and
-- one returned id per event: an event is written with the rest of its transaction at flush. Ids
-- still grow within a transaction, which is all the streams' (transaction, id) order needs.
alter sequence events_id_seq increment by 50;

-- Allocation periods likewise: one opens with every create, start and stop.
alter sequence allocation_periods_id_seq increment by 50;

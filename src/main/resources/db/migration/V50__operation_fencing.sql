-- The fencing token of an operation's lease: every claim raises it, and a worker writes the outcome
-- of its claim only while the row still carries the epoch it claimed under.
alter table operations add column lease_epoch bigint not null default 0;

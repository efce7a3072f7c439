-- Egress: bytes an instance sends out of its host through the uplink. Each sample keeps the host's
-- cumulative reading and the increase since the instance's previous sample (what rating sums:
-- a reading lower than the last one is a counter that started again, and counts in full).
alter table metering_samples add column egress_total_bytes bigint;
alter table metering_samples add column egress_bytes bigint;
alter table metering_rollups add column egress_bytes bigint;

-- Egress is billed per GiB (2^30 bytes) sent.
alter table plans add column egress_gib numeric(14, 6) not null default 0 check (egress_gib >= 0);
update plans set egress_gib = 0.010000 where id = '00000000-0000-0000-0000-000000000001';

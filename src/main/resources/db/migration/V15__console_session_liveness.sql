-- The replica whose gateway serves a console session says it is alive every heartbeat; a session
-- no gateway has spoken for in three heartbeats (its replica crashed or was killed) is closed.
alter table console_sessions add column seen_at timestamptz;

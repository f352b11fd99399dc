-- Punches whose channel did not prove the person was there then (an old phone capture, a
-- terminal backlog, a PIN outside the terminal's unit, …) are stored held: they count only once
-- a responsible person accepts them. Outside the hash chain, like review and quarantine.
ALTER TABLE punches ADD COLUMN hold TEXT COLLATE "C";
ALTER TABLE punches ADD COLUMN hold_by TEXT;
ALTER TABLE punches ADD COLUMN hold_at BIGINT;
ALTER TABLE punches ADD COLUMN hold_note TEXT;
CREATE INDEX punches_held ON punches(punched_at) WHERE hold = 'pending';

-- The server's own unavailability (see hadir_store::availability): one row per run of an
-- instance (start, last heartbeat, clean stop), and the windows in which the server was down or overloaded.
CREATE TABLE server_runs (
    instance    TEXT COLLATE "C" PRIMARY KEY,
    started_at  BIGINT NOT NULL,
    last_alive  BIGINT NOT NULL,
    clean       BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX server_runs_alive ON server_runs(last_alive);
CREATE TABLE server_unavailable (
    id          BIGSERIAL PRIMARY KEY,
    kind        TEXT NOT NULL,
    started_at  BIGINT NOT NULL,
    ended_at    BIGINT NOT NULL
);
CREATE INDEX server_unavailable_end ON server_unavailable(ended_at);

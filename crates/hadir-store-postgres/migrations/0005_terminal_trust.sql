-- Terminal trust (issue 16): a terminal may be bound to an address or CIDR; operators propose
-- serials, admins decide; punches of terminals not approved yet wait here, outside the hash
-- chain, until an admin approves the terminal (they then move into the chain) or discards it.
ALTER TABLE devices ADD COLUMN bound_cidr TEXT;
ALTER TABLE devices ADD COLUMN proposed_by TEXT;
CREATE INDEX devices_state ON devices(state);

CREATE TABLE quarantined_punches (
    id           BIGSERIAL PRIMARY KEY,
    device_sn    TEXT NOT NULL,
    pin          TEXT NOT NULL,
    -- The terminal's wall clock, YYYY-MM-DDTHH:MM:SS.
    local_time   TEXT NOT NULL,
    timezone     TEXT,
    status       BIGINT NOT NULL,
    verify       BIGINT NOT NULL,
    source       TEXT NOT NULL,
    received_at  BIGINT NOT NULL,
    UNIQUE (device_sn, pin, local_time)
);

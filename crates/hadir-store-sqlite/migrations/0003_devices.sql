-- Terminals, their command queues, and office relays. Instants are UTC epoch milliseconds.

CREATE TABLE relays (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    unit_id         INTEGER NOT NULL REFERENCES units(id),
    -- SHA-256 of the token; the token is shown once and never stored.
    token_hash      BLOB NOT NULL UNIQUE,
    revoked         INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    last_seen       INTEGER,
    sync_requested  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE devices (
    id                INTEGER PRIMARY KEY,
    sn                TEXT NOT NULL UNIQUE,
    unit_id           INTEGER REFERENCES units(id),
    state             TEXT NOT NULL CHECK (state IN ('active','pending','disabled')),
    timezone          TEXT,
    auto_registered   INTEGER NOT NULL DEFAULT 0,
    model             TEXT,
    firmware          TEXT,
    pushver           TEXT,
    ip                TEXT,
    reported_ip       TEXT,
    last_seen         INTEGER,
    users             INTEGER,
    fingerprints      INTEGER,
    records           INTEGER,
    attlog_stamp      INTEGER NOT NULL DEFAULT 0,
    operlog_stamp     INTEGER NOT NULL DEFAULT 0,
    attphoto_stamp    INTEGER NOT NULL DEFAULT 0,
    relay_id          INTEGER REFERENCES relays(id),
    lan_address       TEXT,
    last_pull         INTEGER,
    reachable         INTEGER,
    last_error        TEXT,
    clock_drift_secs  INTEGER,
    created_at        INTEGER NOT NULL
);
CREATE INDEX devices_unit ON devices(unit_id);
CREATE INDEX devices_relay ON devices(relay_id);

CREATE TABLE device_commands (
    id           INTEGER PRIMARY KEY,
    device_id    INTEGER NOT NULL REFERENCES devices(id),
    command      TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('queued','sent','ok','error')),
    return_code  INTEGER,
    meaning      TEXT,
    created_at   INTEGER NOT NULL,
    sent_at      INTEGER,
    done_at      INTEGER
);
CREATE INDEX device_commands_queue ON device_commands(device_id, state, id);

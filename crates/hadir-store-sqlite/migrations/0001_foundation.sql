-- Organisation, accounts, sessions, audit. Instants are UTC epoch milliseconds (INTEGER),
-- dates are 'YYYY-MM-DD' text: the same representation in the PostgreSQL backend.

CREATE TABLE units (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    parent_id   INTEGER REFERENCES units(id),
    timezone    TEXT NOT NULL,
    path        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX units_path ON units(path);

CREATE TABLE unit_locations (
    id          INTEGER PRIMARY KEY,
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    name        TEXT NOT NULL,
    lat         REAL NOT NULL,
    lon         REAL NOT NULL,
    radius_m    REAL NOT NULL
);
CREATE INDEX unit_locations_unit ON unit_locations(unit_id);

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    name          TEXT NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0,
    active        INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE employees (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL UNIQUE REFERENCES accounts(id),
    nip         TEXT UNIQUE,
    login       TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    category    TEXT NOT NULL CHECK (category IN ('PNS','PPPK','HONORER')),
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    position    TEXT,
    tpp_base    INTEGER,
    device_pin  TEXT UNIQUE,
    active      INTEGER NOT NULL DEFAULT 1,
    start_date  TEXT
);
CREATE INDEX employees_unit ON employees(unit_id);

CREATE TABLE role_grants (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    role        TEXT NOT NULL CHECK (role IN ('operator','head')),
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    UNIQUE (account_id, role, unit_id)
);

CREATE TABLE sessions (
    token_hash  BLOB PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_expiry ON sessions(expires_at);

CREATE TABLE audit_log (
    id                INTEGER PRIMARY KEY,
    at                INTEGER NOT NULL,
    actor_account_id  INTEGER,
    actor_name        TEXT NOT NULL,
    action            TEXT NOT NULL,
    entity            TEXT NOT NULL,
    entity_id         TEXT NOT NULL,
    before_json       TEXT,
    after_json        TEXT
);
CREATE INDEX audit_entity ON audit_log(entity, entity_id);

-- The audit trail is append-only.
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

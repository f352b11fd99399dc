-- The Hadir schema on PostgreSQL: the same tables, columns and rules as the SQLite migrations
-- 0001-0007, so both backends behave identically. Instants are UTC epoch milliseconds (BIGINT),
-- dates are 'YYYY-MM-DD' text, domain values are the JSON text of the hadir-domain types.
-- Text columns that are compared or ordered use COLLATE "C" (byte order, as in SQLite), so
-- ordering and prefix matches do not depend on the cluster's locale.

CREATE TABLE units (
    id          BIGSERIAL PRIMARY KEY,
    code        TEXT COLLATE "C" NOT NULL UNIQUE,
    name        TEXT COLLATE "C" NOT NULL,
    parent_id   BIGINT REFERENCES units(id),
    timezone    TEXT NOT NULL,
    path        TEXT COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX units_path ON units(path text_pattern_ops);

CREATE TABLE unit_locations (
    id          BIGSERIAL PRIMARY KEY,
    unit_id     BIGINT NOT NULL REFERENCES units(id),
    name        TEXT NOT NULL,
    lat         DOUBLE PRECISION NOT NULL,
    lon         DOUBLE PRECISION NOT NULL,
    radius_m    DOUBLE PRECISION NOT NULL
);
CREATE INDEX unit_locations_unit ON unit_locations(unit_id);

CREATE TABLE accounts (
    id            BIGSERIAL PRIMARY KEY,
    username      TEXT COLLATE "C" NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    name          TEXT NOT NULL,
    is_admin      BOOLEAN NOT NULL DEFAULT FALSE,
    active        BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE employees (
    id          BIGSERIAL PRIMARY KEY,
    account_id  BIGINT NOT NULL UNIQUE REFERENCES accounts(id),
    nip         TEXT COLLATE "C" UNIQUE,
    login       TEXT COLLATE "C" NOT NULL UNIQUE,
    name        TEXT COLLATE "C" NOT NULL,
    category    TEXT NOT NULL CHECK (category IN ('PNS','PPPK','HONORER')),
    unit_id     BIGINT NOT NULL REFERENCES units(id),
    position    TEXT,
    tpp_base    BIGINT,
    device_pin  TEXT COLLATE "C" UNIQUE,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    start_date  TEXT COLLATE "C"
);
CREATE INDEX employees_unit ON employees(unit_id);

CREATE TABLE role_grants (
    id          BIGSERIAL PRIMARY KEY,
    account_id  BIGINT NOT NULL REFERENCES accounts(id),
    role        TEXT NOT NULL CHECK (role IN ('operator','head')),
    unit_id     BIGINT NOT NULL REFERENCES units(id),
    UNIQUE (account_id, role, unit_id)
);

CREATE TABLE sessions (
    token_hash  BYTEA PRIMARY KEY,
    account_id  BIGINT NOT NULL REFERENCES accounts(id),
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions(expires_at);
CREATE INDEX sessions_account ON sessions(account_id);

CREATE TABLE audit_log (
    id                BIGSERIAL PRIMARY KEY,
    at                BIGINT NOT NULL,
    actor_account_id  BIGINT,
    actor_name        TEXT NOT NULL,
    action            TEXT NOT NULL,
    entity            TEXT COLLATE "C" NOT NULL,
    entity_id         TEXT COLLATE "C" NOT NULL,
    before_json       TEXT,
    after_json        TEXT
);
CREATE INDEX audit_entity ON audit_log(entity, entity_id);

-- Append-only tables refuse changes with a trigger (the same rule as SQLite's RAISE(ABORT)).
CREATE FUNCTION hadir_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION hadir_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION hadir_append_only();

-- Raw punches: append-only facts, hash-chained. Only derived columns (employee_id for terminal
-- PINs matched later, quarantined, review) ever change, and they are outside the hash.
CREATE TABLE punches (
    id             BIGSERIAL PRIMARY KEY,
    employee_id    BIGINT REFERENCES employees(id),
    source         TEXT NOT NULL,
    dedup_key      TEXT COLLATE "C" NOT NULL UNIQUE,
    punched_at     BIGINT NOT NULL,
    received_at    BIGINT NOT NULL,
    captured_at    BIGINT,
    device_sn      TEXT COLLATE "C",
    device_pin     TEXT COLLATE "C",
    lat            DOUBLE PRECISION,
    lon            DOUBLE PRECISION,
    accuracy_m     DOUBLE PRECISION,
    distance_m     DOUBLE PRECISION,
    location_name  TEXT,
    photo_hash     TEXT,
    note           TEXT,
    review         TEXT,
    review_detail  TEXT,
    status         BIGINT,
    verify         BIGINT,
    quarantined    BOOLEAN NOT NULL DEFAULT FALSE,
    response       TEXT,
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL
);
CREATE INDEX punches_employee_time ON punches(employee_id, punched_at);
-- Partial indexes: the few rows the matching and review screens look for.
CREATE INDEX punches_unmatched ON punches(device_pin) WHERE employee_id IS NULL;
CREATE INDEX punches_quarantined ON punches(device_sn) WHERE quarantined;
CREATE INDEX punches_device ON punches(device_sn, punched_at);
CREATE INDEX punches_review ON punches(review) WHERE review IS NOT NULL;

-- Raw facts cannot be deleted, and their hashed facts cannot be edited.
CREATE TRIGGER punches_no_delete BEFORE DELETE ON punches
    FOR EACH ROW EXECUTE FUNCTION hadir_append_only();
CREATE TRIGGER punches_no_truncate BEFORE TRUNCATE ON punches
    FOR EACH STATEMENT EXECUTE FUNCTION hadir_append_only();
CREATE FUNCTION hadir_punch_facts_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.id, NEW.source, NEW.dedup_key, NEW.punched_at, NEW.received_at, NEW.captured_at, NEW.device_sn,
        NEW.device_pin, NEW.lat, NEW.lon, NEW.accuracy_m, NEW.photo_hash, NEW.note, NEW.prev_hash, NEW.hash)
       IS DISTINCT FROM
       (OLD.id, OLD.source, OLD.dedup_key, OLD.punched_at, OLD.received_at, OLD.captured_at, OLD.device_sn,
        OLD.device_pin, OLD.lat, OLD.lon, OLD.accuracy_m, OLD.photo_hash, OLD.note, OLD.prev_hash, OLD.hash) THEN
        RAISE EXCEPTION 'punch facts are append-only' USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER punches_facts_fixed BEFORE UPDATE ON punches
    FOR EACH ROW EXECUTE FUNCTION hadir_punch_facts_fixed();

-- The head of the hash chain. Appends lock this one row (SELECT ... FOR UPDATE) for the rest of
-- their transaction, so the chain has one order however many instances write.
CREATE TABLE chain_head (
    id    SMALLINT PRIMARY KEY CHECK (id = 1),
    hash  TEXT NOT NULL
);
INSERT INTO chain_head (id, hash) VALUES (1, '0000000000000000000000000000000000000000000000000000000000000000');

-- Terminals, their command queues, and office relays.
CREATE TABLE relays (
    id              BIGSERIAL PRIMARY KEY,
    name            TEXT NOT NULL,
    unit_id         BIGINT NOT NULL REFERENCES units(id),
    token_hash      BYTEA NOT NULL UNIQUE,
    revoked         BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      BIGINT NOT NULL,
    last_seen       BIGINT,
    sync_requested  BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE devices (
    id                BIGSERIAL PRIMARY KEY,
    sn                TEXT COLLATE "C" NOT NULL UNIQUE,
    unit_id           BIGINT REFERENCES units(id),
    state             TEXT NOT NULL CHECK (state IN ('active','pending','disabled')),
    timezone          TEXT,
    auto_registered   BOOLEAN NOT NULL DEFAULT FALSE,
    model             TEXT,
    firmware          TEXT,
    pushver           TEXT,
    ip                TEXT,
    reported_ip       TEXT,
    last_seen         BIGINT,
    users             BIGINT,
    fingerprints      BIGINT,
    records           BIGINT,
    attlog_stamp      BIGINT NOT NULL DEFAULT 0,
    operlog_stamp     BIGINT NOT NULL DEFAULT 0,
    attphoto_stamp    BIGINT NOT NULL DEFAULT 0,
    relay_id          BIGINT REFERENCES relays(id),
    lan_address       TEXT,
    last_pull         BIGINT,
    reachable         BOOLEAN,
    last_error        TEXT,
    clock_drift_secs  BIGINT,
    created_at        BIGINT NOT NULL
);
CREATE INDEX devices_unit ON devices(unit_id);
CREATE INDEX devices_relay ON devices(relay_id);

CREATE TABLE device_commands (
    id           BIGSERIAL PRIMARY KEY,
    device_id    BIGINT NOT NULL REFERENCES devices(id),
    command      TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('queued','sent','ok','error')),
    return_code  BIGINT,
    meaning      TEXT,
    created_at   BIGINT NOT NULL,
    sent_at      BIGINT,
    done_at      BIGINT
);
CREATE INDEX device_commands_device ON device_commands(device_id, id);
-- The queue proper: only queued commands, which is what a terminal's poll looks for.
CREATE INDEX device_commands_queued ON device_commands(device_id, id) WHERE state = 'queued';

-- Policies and derived day records.
CREATE TABLE calendars (
    id             BIGSERIAL PRIMARY KEY,
    name           TEXT COLLATE "C" NOT NULL UNIQUE,
    calendar_json  TEXT NOT NULL,
    is_default     BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at     BIGINT NOT NULL
);

CREATE TABLE calendar_assignments (
    id           BIGSERIAL PRIMARY KEY,
    calendar_id  BIGINT NOT NULL REFERENCES calendars(id),
    unit_id      BIGINT UNIQUE REFERENCES units(id),
    employee_id  BIGINT UNIQUE REFERENCES employees(id),
    CHECK ((unit_id IS NULL) <> (employee_id IS NULL))
);

CREATE TABLE roster_entries (
    employee_id  BIGINT NOT NULL REFERENCES employees(id),
    date         TEXT COLLATE "C" NOT NULL,
    shift        TEXT,
    PRIMARY KEY (employee_id, date)
);
CREATE INDEX roster_date ON roster_entries(date);

CREATE TABLE holidays (
    id       BIGSERIAL PRIMARY KEY,
    date     TEXT COLLATE "C" NOT NULL,
    kind     TEXT COLLATE "C" NOT NULL CHECK (kind IN ('libur_nasional','cuti_bersama','regional')),
    name     TEXT COLLATE "C" NOT NULL,
    unit_id  BIGINT REFERENCES units(id)
);
CREATE UNIQUE INDEX holidays_unique ON holidays(date, name, COALESCE(unit_id, 0));

CREATE TABLE rule_sets (
    id              BIGSERIAL PRIMARY KEY,
    name            TEXT NOT NULL,
    effective_from  TEXT COLLATE "C" NOT NULL,
    rules_json      TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);

CREATE TABLE policy_meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

CREATE TABLE day_records (
    id           BIGSERIAL PRIMARY KEY,
    employee_id  BIGINT NOT NULL REFERENCES employees(id),
    date         TEXT COLLATE "C" NOT NULL,
    status       TEXT NOT NULL,
    closed       BOOLEAN NOT NULL,
    deduction    BIGINT NOT NULL,   -- hundredths of a percent
    record_json  TEXT NOT NULL,
    record_hash  TEXT NOT NULL,
    computed_at  BIGINT NOT NULL,
    UNIQUE (employee_id, date)
);
CREATE INDEX day_records_date ON day_records(date, status);

-- Dirty (employee, date) pairs; claims lease rows with FOR UPDATE SKIP LOCKED.
CREATE TABLE recompute_queue (
    employee_id    BIGINT NOT NULL,
    date           TEXT COLLATE "C" NOT NULL,
    seq            BIGINT NOT NULL DEFAULT 1,
    enqueued_at    BIGINT NOT NULL,
    claimed_until  BIGINT,
    PRIMARY KEY (employee_id, date)
);
CREATE INDEX recompute_queue_order ON recompute_queue(enqueued_at);

-- Requests and approvals.
CREATE TABLE requests (
    id                 BIGSERIAL PRIMARY KEY,
    kind               TEXT COLLATE "C" NOT NULL,
    state              TEXT NOT NULL CHECK (state IN ('draft','submitted','approved','rejected','cancelled')),
    employee_id        BIGINT REFERENCES employees(id),
    unit_id            BIGINT NOT NULL REFERENCES units(id),
    date_from          TEXT COLLATE "C" NOT NULL,
    date_to            TEXT COLLATE "C" NOT NULL,
    start_at           BIGINT,
    end_at             BIGINT,
    reason             TEXT NOT NULL,
    checkpoints_json   TEXT NOT NULL DEFAULT '[]',
    decider            TEXT NOT NULL CHECK (decider IN ('head','bkd')),
    days               BIGINT,
    punch_id           BIGINT UNIQUE REFERENCES punches(id),
    submitted_by       BIGINT NOT NULL REFERENCES accounts(id),
    submitted_by_name  TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    decided_by         BIGINT REFERENCES accounts(id),
    decided_by_name    TEXT,
    decided_at         BIGINT,
    decision_comment   TEXT,
    correction_json    TEXT,
    CHECK (date_from <= date_to)
);
CREATE INDEX requests_employee ON requests(employee_id, date_from);
CREATE INDEX requests_unit_state ON requests(unit_id, state);
CREATE INDEX requests_state_kind ON requests(state, kind, date_from);
CREATE INDEX requests_submitter ON requests(submitted_by);

CREATE TABLE request_lines (
    id           BIGSERIAL PRIMARY KEY,
    request_id   BIGINT NOT NULL REFERENCES requests(id),
    employee_id  BIGINT NOT NULL REFERENCES employees(id),
    at           BIGINT NOT NULL,
    checkpoint   TEXT
);
CREATE INDEX request_lines_request ON request_lines(request_id);
CREATE INDEX request_lines_employee ON request_lines(employee_id, at);

CREATE TABLE request_attachments (
    id           BIGSERIAL PRIMARY KEY,
    request_id   BIGINT NOT NULL REFERENCES requests(id),
    blob_hash    TEXT NOT NULL,
    mime         TEXT NOT NULL,
    size         BIGINT NOT NULL,
    filename     TEXT NOT NULL,
    uploaded_by  BIGINT NOT NULL REFERENCES accounts(id),
    uploaded_at  BIGINT NOT NULL
);
CREATE INDEX request_attachments_request ON request_attachments(request_id);

CREATE TABLE request_events (
    id                BIGSERIAL PRIMARY KEY,
    request_id        BIGINT NOT NULL REFERENCES requests(id),
    at                BIGINT NOT NULL,
    actor_account_id  BIGINT,
    actor_name        TEXT NOT NULL,
    action            TEXT NOT NULL,
    from_state        TEXT,
    to_state          TEXT NOT NULL,
    comment           TEXT
);
CREATE INDEX request_events_request ON request_events(request_id, id);
CREATE TRIGGER request_events_no_change BEFORE UPDATE OR DELETE ON request_events
    FOR EACH ROW EXECUTE FUNCTION hadir_append_only();

CREATE TABLE month_locks (
    id         BIGSERIAL PRIMARY KEY,
    month      TEXT COLLATE "C" NOT NULL,
    unit_id    BIGINT REFERENCES units(id),
    locked_at  BIGINT NOT NULL,
    locked_by  TEXT NOT NULL
);
CREATE UNIQUE INDEX month_locks_unique ON month_locks(month, COALESCE(unit_id, 0));

-- Monthly recaps.
CREATE TABLE recap_deadlines (
    month           TEXT COLLATE "C" PRIMARY KEY,
    objection_until TEXT NOT NULL,
    set_at          BIGINT NOT NULL,
    set_by          TEXT NOT NULL
);

CREATE TABLE recap_snapshots (
    id            BIGSERIAL PRIMARY KEY,
    month         TEXT COLLATE "C" NOT NULL,
    employee_id   BIGINT NOT NULL REFERENCES employees(id),
    unit_id       BIGINT NOT NULL REFERENCES units(id),
    lock_unit_id  BIGINT REFERENCES units(id),
    data_json     TEXT NOT NULL,
    rules_json    TEXT NOT NULL,
    inputs_hash   TEXT NOT NULL,
    frozen_at     BIGINT NOT NULL,
    frozen_by     TEXT NOT NULL,
    reopened_at   BIGINT
);
CREATE UNIQUE INDEX recap_snapshots_live ON recap_snapshots(month, employee_id) WHERE reopened_at IS NULL;
CREATE INDEX recap_snapshots_lock ON recap_snapshots(month, lock_unit_id);

CREATE TABLE recap_reopens (
    id           BIGSERIAL PRIMARY KEY,
    month        TEXT COLLATE "C" NOT NULL,
    unit_id      BIGINT REFERENCES units(id),
    reason       TEXT NOT NULL,
    reopened_at  BIGINT NOT NULL,
    reopened_by  TEXT NOT NULL,
    snapshots    BIGINT NOT NULL
);
CREATE INDEX recap_reopens_month ON recap_reopens(month);

CREATE TABLE employee_locations (
    employee_id  BIGINT NOT NULL REFERENCES employees(id),
    location_id  BIGINT NOT NULL REFERENCES unit_locations(id),
    PRIMARY KEY (employee_id, location_id)
);

-- Schedules, holidays, rule sets (policies: data with an effective date, audited) and the
-- derived day records with their recompute queue. Domain values are stored as the JSON of the
-- hadir-domain types, so both backends and the API share one shape.

CREATE TABLE calendars (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,
    calendar_json  TEXT NOT NULL,
    is_default     INTEGER NOT NULL DEFAULT 0,
    updated_at     INTEGER NOT NULL
);

-- A calendar per unit (inherited down the tree) or per employee (override).
CREATE TABLE calendar_assignments (
    id           INTEGER PRIMARY KEY,
    calendar_id  INTEGER NOT NULL REFERENCES calendars(id),
    unit_id      INTEGER UNIQUE REFERENCES units(id),
    employee_id  INTEGER UNIQUE REFERENCES employees(id),
    CHECK ((unit_id IS NULL) <> (employee_id IS NULL))
);

-- Shift rosters: one line per employee and date; shift NULL = off that day.
CREATE TABLE roster_entries (
    employee_id  INTEGER NOT NULL REFERENCES employees(id),
    date         TEXT NOT NULL,
    shift        TEXT,
    PRIMARY KEY (employee_id, date)
) WITHOUT ROWID;
CREATE INDEX roster_date ON roster_entries(date);

-- National holidays and cuti bersama (unit_id NULL) and regional ones (a unit's subtree).
CREATE TABLE holidays (
    id       INTEGER PRIMARY KEY,
    date     TEXT NOT NULL,
    kind     TEXT NOT NULL CHECK (kind IN ('libur_nasional','cuti_bersama','regional')),
    name     TEXT NOT NULL,
    unit_id  INTEGER REFERENCES units(id)
);
CREATE UNIQUE INDEX holidays_unique ON holidays(date, name, COALESCE(unit_id, 0));

CREATE TABLE rule_sets (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    effective_from  TEXT NOT NULL,
    rules_json      TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);

-- One-time markers (e.g. the shipped holiday table was seeded).
CREATE TABLE policy_meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

-- Derived, recomputable: the evaluated day of one employee. A rowid table (not WITHOUT ROWID):
-- the ~1 KB record JSON would otherwise spill into an overflow page per row.
CREATE TABLE day_records (
    id           INTEGER PRIMARY KEY,
    employee_id  INTEGER NOT NULL REFERENCES employees(id),
    date         TEXT NOT NULL,
    status       TEXT NOT NULL,
    closed       INTEGER NOT NULL,
    deduction    INTEGER NOT NULL,   -- hundredths of a percent
    record_json  TEXT NOT NULL,
    record_hash  TEXT NOT NULL,
    computed_at  INTEGER NOT NULL,
    UNIQUE (employee_id, date)
);
CREATE INDEX day_records_date ON day_records(date, status);

-- Dirty (employee, date) pairs. seq grows on every re-enqueue, so a pair changed while it is
-- being recomputed stays queued; claimed_until leases a pair to one worker (several instances
-- may share the database).
CREATE TABLE recompute_queue (
    employee_id    INTEGER NOT NULL,
    date           TEXT NOT NULL,
    seq            INTEGER NOT NULL DEFAULT 1,
    enqueued_at    INTEGER NOT NULL,
    claimed_until  INTEGER,
    PRIMARY KEY (employee_id, date)
) WITHOUT ROWID;
CREATE INDEX recompute_queue_order ON recompute_queue(enqueued_at);

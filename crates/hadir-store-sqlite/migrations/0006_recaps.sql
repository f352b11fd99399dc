-- Monthly recaps (issue 8): objection deadlines, frozen snapshots of locked months, reopens.
-- Locks themselves are the month_locks rows of 0005. Instants are UTC epoch milliseconds.
CREATE TABLE recap_deadlines (
    month           TEXT PRIMARY KEY,
    objection_until TEXT NOT NULL,
    set_at          INTEGER NOT NULL,
    set_by          TEXT NOT NULL
);

-- One row per employee and lock; reopened rows stay as history.
CREATE TABLE recap_snapshots (
    id            INTEGER PRIMARY KEY,
    month         TEXT NOT NULL,
    employee_id   INTEGER NOT NULL REFERENCES employees(id),
    unit_id       INTEGER NOT NULL REFERENCES units(id),
    lock_unit_id  INTEGER REFERENCES units(id),
    data_json     TEXT NOT NULL,
    rules_json    TEXT NOT NULL,
    inputs_hash   TEXT NOT NULL,
    frozen_at     INTEGER NOT NULL,
    frozen_by     TEXT NOT NULL,
    reopened_at   INTEGER
);
CREATE UNIQUE INDEX recap_snapshots_live ON recap_snapshots(month, employee_id) WHERE reopened_at IS NULL;
CREATE INDEX recap_snapshots_lock ON recap_snapshots(month, lock_unit_id);

CREATE TABLE recap_reopens (
    id           INTEGER PRIMARY KEY,
    month        TEXT NOT NULL,
    unit_id      INTEGER REFERENCES units(id),
    reason       TEXT NOT NULL,
    reopened_at  INTEGER NOT NULL,
    reopened_by  TEXT NOT NULL,
    snapshots    INTEGER NOT NULL
);
CREATE INDEX recap_reopens_month ON recap_reopens(month);

-- Requests and approvals (issue 7). Instants are UTC epoch milliseconds, dates 'YYYY-MM-DD'.
CREATE TABLE requests (
    id                 INTEGER PRIMARY KEY,
    kind               TEXT NOT NULL,
    state              TEXT NOT NULL CHECK (state IN ('draft','submitted','approved','rejected','cancelled')),
    employee_id        INTEGER REFERENCES employees(id),
    unit_id            INTEGER NOT NULL REFERENCES units(id),
    date_from          TEXT NOT NULL,
    date_to            TEXT NOT NULL,
    start_at           INTEGER,
    end_at             INTEGER,
    reason             TEXT NOT NULL,
    checkpoints_json   TEXT NOT NULL DEFAULT '[]',
    decider            TEXT NOT NULL CHECK (decider IN ('head','bkd')),
    days               INTEGER,
    punch_id           INTEGER UNIQUE REFERENCES punches(id),
    submitted_by       INTEGER NOT NULL REFERENCES accounts(id),
    submitted_by_name  TEXT NOT NULL,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    decided_by         INTEGER REFERENCES accounts(id),
    decided_by_name    TEXT,
    decided_at         INTEGER,
    decision_comment   TEXT,
    correction_json    TEXT,
    CHECK (date_from <= date_to)
);
CREATE INDEX requests_employee ON requests(employee_id, date_from);
CREATE INDEX requests_unit_state ON requests(unit_id, state);
CREATE INDEX requests_state_kind ON requests(state, kind, date_from);
CREATE INDEX requests_submitter ON requests(submitted_by);

-- Manual attendance lines: one or many employees, each with the instants recorded.
CREATE TABLE request_lines (
    id           INTEGER PRIMARY KEY,
    request_id   INTEGER NOT NULL REFERENCES requests(id),
    employee_id  INTEGER NOT NULL REFERENCES employees(id),
    at           INTEGER NOT NULL,
    checkpoint   TEXT
);
CREATE INDEX request_lines_request ON request_lines(request_id);
CREATE INDEX request_lines_employee ON request_lines(employee_id, at);

CREATE TABLE request_attachments (
    id           INTEGER PRIMARY KEY,
    request_id   INTEGER NOT NULL REFERENCES requests(id),
    blob_hash    TEXT NOT NULL,
    mime         TEXT NOT NULL,
    size         INTEGER NOT NULL,
    filename     TEXT NOT NULL,
    uploaded_by  INTEGER NOT NULL REFERENCES accounts(id),
    uploaded_at  INTEGER NOT NULL
);
CREATE INDEX request_attachments_request ON request_attachments(request_id);

-- The history of each request: append-only, like the audit log.
CREATE TABLE request_events (
    id                INTEGER PRIMARY KEY,
    request_id        INTEGER NOT NULL REFERENCES requests(id),
    at                INTEGER NOT NULL,
    actor_account_id  INTEGER,
    actor_name        TEXT NOT NULL,
    action            TEXT NOT NULL,
    from_state        TEXT,
    to_state          TEXT NOT NULL,
    comment           TEXT
);
CREATE INDEX request_events_request ON request_events(request_id, id);
CREATE TRIGGER request_events_no_update BEFORE UPDATE ON request_events
BEGIN SELECT RAISE(ABORT, 'request_events is append-only'); END;
CREATE TRIGGER request_events_no_delete BEFORE DELETE ON request_events
BEGIN SELECT RAISE(ABORT, 'request_events is append-only'); END;

-- Locked months (final recap): objections are refused. unit_id NULL locks every unit.
CREATE TABLE month_locks (
    id         INTEGER PRIMARY KEY,
    month      TEXT NOT NULL,
    unit_id    INTEGER REFERENCES units(id),
    locked_at  INTEGER NOT NULL,
    locked_by  TEXT NOT NULL
);
CREATE UNIQUE INDEX month_locks_unique ON month_locks(month, IFNULL(unit_id, 0));

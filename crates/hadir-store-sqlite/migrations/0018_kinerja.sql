-- Daily work reports (laporan kinerja harian, issue 22). One row per activity; instants are
-- UTC epoch milliseconds, dates 'YYYY-MM-DD', times minutes after local midnight.
-- States: submitted (editable) -> approved (final) | returned (editable, note from the
-- validator; an edit submits it again).
CREATE TABLE kinerja_activities (
    id                 INTEGER PRIMARY KEY,
    employee_id        INTEGER NOT NULL REFERENCES employees(id),
    unit_id            INTEGER NOT NULL REFERENCES units(id),
    date               TEXT NOT NULL,
    description        TEXT NOT NULL,
    output             TEXT NOT NULL,
    volume             REAL NOT NULL,
    volume_unit        TEXT NOT NULL,
    start_minute       INTEGER NOT NULL,
    end_minute         INTEGER NOT NULL,
    state              TEXT NOT NULL CHECK (state IN ('submitted','approved','returned')),
    note               TEXT,
    attachment_hash    TEXT,
    attachment_mime    TEXT,
    attachment_name    TEXT,
    attachment_size    INTEGER,
    created_by         INTEGER NOT NULL REFERENCES accounts(id),
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    validated_by       INTEGER REFERENCES accounts(id),
    validated_by_name  TEXT,
    validated_at       INTEGER,
    CHECK (start_minute >= 0 AND start_minute < end_minute AND end_minute <= 1440)
);
CREATE INDEX kinerja_activities_employee ON kinerja_activities(employee_id, date);
CREATE INDEX kinerja_activities_unit_state ON kinerja_activities(unit_id, state, date);

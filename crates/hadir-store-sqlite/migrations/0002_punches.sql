-- Raw punches: append-only facts, hash-chained. Only derived columns (employee_id for terminal
-- PINs matched later, quarantined, review) ever change, and they are outside the hash.
CREATE TABLE punches (
    id             INTEGER PRIMARY KEY,
    employee_id    INTEGER REFERENCES employees(id),
    source         TEXT NOT NULL,
    dedup_key      TEXT NOT NULL UNIQUE,
    punched_at     INTEGER NOT NULL,
    received_at    INTEGER NOT NULL,
    captured_at    INTEGER,
    device_sn      TEXT,
    device_pin     TEXT,
    lat            REAL,
    lon            REAL,
    accuracy_m     REAL,
    distance_m     REAL,
    location_name  TEXT,
    photo_hash     TEXT,
    note           TEXT,
    review         TEXT,
    review_detail  TEXT,
    status         INTEGER,
    verify         INTEGER,
    quarantined    INTEGER NOT NULL DEFAULT 0,
    response       TEXT,
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL
);
CREATE INDEX punches_employee_time ON punches(employee_id, punched_at);
CREATE INDEX punches_unmatched ON punches(device_pin) WHERE employee_id IS NULL;
CREATE INDEX punches_device ON punches(device_sn, punched_at);
CREATE INDEX punches_review ON punches(review) WHERE review IS NOT NULL;

-- Raw facts cannot be deleted.
CREATE TRIGGER punches_no_delete BEFORE DELETE ON punches
BEGIN SELECT RAISE(ABORT, 'punches are append-only'); END;

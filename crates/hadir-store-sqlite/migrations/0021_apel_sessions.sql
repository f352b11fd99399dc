-- Issue 21 point 3: apel and upacara sessions. A session has its own date, local time window
-- (HH:MM in the zone of its unit) and place: a geofence (centre + radius) and/or its own QR code
-- (signed per session; `qr` says whether it is offered). The units that must attend are listed
-- in `apel_session_units` (each with its subtree). Attendance: one row per person and session.
CREATE TABLE apel_sessions (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('apel', 'upacara')),
    name        TEXT NOT NULL,
    date        TEXT NOT NULL,
    start_time  TEXT NOT NULL,
    end_time    TEXT NOT NULL,
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    lat         REAL,
    lon         REAL,
    radius_m    REAL,
    qr          INTEGER NOT NULL DEFAULT 0,
    mandatory   INTEGER NOT NULL DEFAULT 1,
    cancelled   INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    created_by  INTEGER REFERENCES accounts(id)
);
CREATE INDEX apel_sessions_date ON apel_sessions (date);

CREATE TABLE apel_session_units (
    session_id  INTEGER NOT NULL REFERENCES apel_sessions(id),
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    PRIMARY KEY (session_id, unit_id)
);

CREATE TABLE apel_attendance (
    session_id  INTEGER NOT NULL REFERENCES apel_sessions(id),
    employee_id INTEGER NOT NULL REFERENCES employees(id),
    how         TEXT NOT NULL CHECK (how IN ('position', 'qr', 'marked')),
    at          INTEGER NOT NULL,
    by_account  INTEGER REFERENCES accounts(id),
    lat         REAL,
    lon         REAL,
    PRIMARY KEY (session_id, employee_id)
);
CREATE INDEX apel_attendance_employee ON apel_attendance (employee_id);

-- Colleague check-in (issue 21 point 2): one row per witness, local day and slot 1..cap, taken
-- before the person's punch is stored, so two check-ins racing for the last slot cannot both
-- pass the daily cap. `punch_key` is the punch's dedup key (a retry reuses its slot).
CREATE TABLE colleague_slots (
    witness_id  INTEGER NOT NULL REFERENCES employees(id),
    day         TEXT NOT NULL,
    slot        INTEGER NOT NULL,
    punch_key   TEXT NOT NULL,
    PRIMARY KEY (witness_id, day, slot)
);

-- Issue 21 point 3 (mirrors SQLite 0021): apel and upacara sessions, the units that must attend
-- and one attendance row per person and session.
CREATE TABLE apel_sessions (
    id          BIGSERIAL PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('apel', 'upacara')),
    name        TEXT NOT NULL,
    date        TEXT COLLATE "C" NOT NULL,
    start_time  TEXT COLLATE "C" NOT NULL,
    end_time    TEXT COLLATE "C" NOT NULL,
    unit_id     BIGINT NOT NULL REFERENCES units(id),
    lat         DOUBLE PRECISION,
    lon         DOUBLE PRECISION,
    radius_m    DOUBLE PRECISION,
    qr          BOOLEAN NOT NULL DEFAULT FALSE,
    mandatory   BOOLEAN NOT NULL DEFAULT TRUE,
    cancelled   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT NOT NULL,
    created_by  BIGINT REFERENCES accounts(id)
);
CREATE INDEX apel_sessions_date ON apel_sessions (date);

CREATE TABLE apel_session_units (
    session_id  BIGINT NOT NULL REFERENCES apel_sessions(id),
    unit_id     BIGINT NOT NULL REFERENCES units(id),
    PRIMARY KEY (session_id, unit_id)
);

CREATE TABLE apel_attendance (
    session_id  BIGINT NOT NULL REFERENCES apel_sessions(id),
    employee_id BIGINT NOT NULL REFERENCES employees(id),
    how         TEXT NOT NULL CHECK (how IN ('position', 'qr', 'marked')),
    at          BIGINT NOT NULL,
    by_account  BIGINT REFERENCES accounts(id),
    lat         DOUBLE PRECISION,
    lon         DOUBLE PRECISION,
    PRIMARY KEY (session_id, employee_id)
);
CREATE INDEX apel_attendance_employee ON apel_attendance (employee_id);

-- Colleague check-in slots per witness and day (mirrors SQLite 0021).
CREATE TABLE colleague_slots (
    witness_id  BIGINT NOT NULL REFERENCES employees(id),
    day         TEXT COLLATE "C" NOT NULL,
    slot        BIGINT NOT NULL,
    punch_key   TEXT NOT NULL,
    PRIMARY KEY (witness_id, day, slot)
);

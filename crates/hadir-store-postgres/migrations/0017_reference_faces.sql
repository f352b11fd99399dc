-- Issue 23, point 2 (mirrors SQLite 0025): an employee's reference face embedding (1024
-- little-endian f32 of the model named in `model`), never the photo; enrolled by a head or
-- operator of the employee's unit, or an admin, never by the employee themself.
CREATE TABLE reference_faces (
    employee_id          BIGINT PRIMARY KEY REFERENCES employees(id),
    model                TEXT COLLATE "C" NOT NULL,
    embedding            BYTEA NOT NULL,
    source               TEXT COLLATE "C" NOT NULL,
    punch_id             BIGINT REFERENCES punches(id),
    enrolled_by_account  BIGINT REFERENCES accounts(id),
    enrolled_by          TEXT NOT NULL,
    enrolled_at          BIGINT NOT NULL
);

-- Issue 23, point 2: an employee's reference face, the embedding (1024 little-endian f32, the
-- model named in `model`) the analyser compares each selfie with. Never the photo itself: a
-- punch's photo stays the punch's (`punch_id`), an uploaded one is not kept. Enrolled by a head
-- or operator of the employee's unit, or an admin, never by the employee themself.
CREATE TABLE reference_faces (
    employee_id          INTEGER PRIMARY KEY REFERENCES employees(id),
    model                TEXT NOT NULL,
    embedding            BLOB NOT NULL,
    source               TEXT NOT NULL,
    punch_id             INTEGER REFERENCES punches(id),
    enrolled_by_account  INTEGER REFERENCES accounts(id),
    enrolled_by          TEXT NOT NULL,
    enrolled_at          INTEGER NOT NULL
);

-- Issue 23: fraud signals, computed after commit by a background analyser, never on the
-- check-in path. A signal never refuses a punch: it holds it for review (hold = 'pending').
--   punch_signals: one row per signal that fired on a punch (kind, Indonesian detail, score),
--                  and the decision taken on the punch it held (who, when, accepted/rejected).
--   signal_cursor: the analyser's durable "analysed up to" marker (punch ids only grow); set
--                  to the newest punch at migration, so history before the feature is not held.
--   photo_prints:  each analysed selfie's 64-bit perceptual hash (dHash), for near-duplicates.
CREATE TABLE punch_signals (
    id           INTEGER PRIMARY KEY,
    punch_id     INTEGER NOT NULL REFERENCES punches(id),
    employee_id  INTEGER REFERENCES employees(id),
    kind         TEXT NOT NULL,
    detail       TEXT NOT NULL,
    score        REAL,
    created_at   INTEGER NOT NULL,
    decision     TEXT,
    decided_by   TEXT,
    decided_at   INTEGER
);
CREATE INDEX punch_signals_punch ON punch_signals(punch_id);
CREATE INDEX punch_signals_created ON punch_signals(created_at);

CREATE TABLE signal_cursor (
    name           TEXT PRIMARY KEY,
    last_punch_id  INTEGER NOT NULL
);
INSERT INTO signal_cursor (name, last_punch_id) VALUES ('analyser', COALESCE((SELECT MAX(id) FROM punches), 0));

CREATE TABLE photo_prints (
    punch_id     INTEGER PRIMARY KEY REFERENCES punches(id),
    employee_id  INTEGER REFERENCES employees(id),
    dhash        INTEGER NOT NULL
);

-- Device keys: the app's ECDSA P-256 public key (raw point, 65 bytes) per employee, keyed by its
-- SHA-256 (key_id). An employee's first key is 'trusted'; later ones 'pending' until an operator
-- 'accepted' (or 'rejected') them. punch_devices: which key signed a punch, on which local day,
-- and whether the signature verified (written by the analyser).
CREATE TABLE device_keys (
    id           INTEGER PRIMARY KEY,
    employee_id  INTEGER NOT NULL REFERENCES employees(id),
    key_id       TEXT NOT NULL,
    public_key   BLOB NOT NULL,
    state        TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    decided_by   TEXT,
    decided_at   INTEGER
);
CREATE UNIQUE INDEX device_keys_employee_key ON device_keys(employee_id, key_id);
CREATE INDEX device_keys_key ON device_keys(key_id);

CREATE TABLE punch_devices (
    punch_id     INTEGER PRIMARY KEY REFERENCES punches(id),
    employee_id  INTEGER NOT NULL REFERENCES employees(id),
    key_id       TEXT NOT NULL,
    day          TEXT NOT NULL,
    verified     BOOLEAN NOT NULL
);
CREATE INDEX punch_devices_key_day ON punch_devices(key_id, day);

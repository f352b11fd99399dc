-- Issue 23 (mirrors SQLite 0019): fraud signals, computed after commit by a background
-- analyser, never on the check-in path. A signal never refuses a punch: it holds it for review.
--   punch_signals: one row per signal that fired on a punch (kind, Indonesian detail, score),
--                  and the decision taken on the punch it held (who, when, accepted/rejected).
--   signal_cursor: the analyser's durable "analysed up to" marker (punch ids only grow: appends
--                  are ordered by the chain-head lock); set to the newest punch at migration.
--                  Instances take turns by locking its row.
--   photo_prints:  each analysed selfie's 64-bit perceptual hash (dHash), for near-duplicates.
CREATE TABLE punch_signals (
    id           BIGSERIAL PRIMARY KEY,
    punch_id     BIGINT NOT NULL REFERENCES punches(id),
    employee_id  BIGINT REFERENCES employees(id),
    kind         TEXT COLLATE "C" NOT NULL,
    detail       TEXT NOT NULL,
    score        DOUBLE PRECISION,
    created_at   BIGINT NOT NULL,
    decision     TEXT COLLATE "C",
    decided_by   TEXT,
    decided_at   BIGINT
);
CREATE INDEX punch_signals_punch ON punch_signals(punch_id);
CREATE INDEX punch_signals_created ON punch_signals(created_at);

CREATE TABLE signal_cursor (
    name           TEXT COLLATE "C" PRIMARY KEY,
    last_punch_id  BIGINT NOT NULL
);
INSERT INTO signal_cursor (name, last_punch_id) VALUES ('analyser', COALESCE((SELECT MAX(id) FROM punches), 0));

CREATE TABLE photo_prints (
    punch_id     BIGINT PRIMARY KEY REFERENCES punches(id),
    employee_id  BIGINT REFERENCES employees(id),
    dhash        BIGINT NOT NULL
);

-- Device keys (mirrors SQLite 0019): the app's ECDSA P-256 public key per employee, by its
-- SHA-256 (key_id); the first 'trusted', later ones 'pending' until 'accepted' / 'rejected'.
-- punch_devices: which key signed a punch, its local day, whether the signature verified.
CREATE TABLE device_keys (
    id           BIGSERIAL PRIMARY KEY,
    employee_id  BIGINT NOT NULL REFERENCES employees(id),
    key_id       TEXT COLLATE "C" NOT NULL,
    public_key   BYTEA NOT NULL,
    state        TEXT COLLATE "C" NOT NULL,
    created_at   BIGINT NOT NULL,
    decided_by   TEXT,
    decided_at   BIGINT
);
CREATE UNIQUE INDEX device_keys_employee_key ON device_keys(employee_id, key_id);
CREATE INDEX device_keys_key ON device_keys(key_id);

CREATE TABLE punch_devices (
    punch_id     BIGINT PRIMARY KEY REFERENCES punches(id),
    employee_id  BIGINT NOT NULL REFERENCES employees(id),
    key_id       TEXT COLLATE "C" NOT NULL,
    day          TEXT COLLATE "C" NOT NULL,
    verified     BOOLEAN NOT NULL
);
CREATE INDEX punch_devices_key_day ON punch_devices(key_id, day);

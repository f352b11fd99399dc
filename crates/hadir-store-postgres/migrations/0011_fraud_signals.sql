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

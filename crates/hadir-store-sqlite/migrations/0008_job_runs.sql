-- Once-only periodic work (day-close sweeps, …): one row per job and period. The first claim
-- inserts it; a claim whose lease lapsed without finishing may be taken over.
CREATE TABLE job_runs (
    job          TEXT NOT NULL,
    period       TEXT NOT NULL,
    holder       TEXT NOT NULL,
    claimed_at   INTEGER NOT NULL,
    lease_until  INTEGER NOT NULL,
    done_at      INTEGER,
    PRIMARY KEY (job, period)
) WITHOUT ROWID;

-- Once-only periodic work (day-close sweeps, …) shared by every instance: one row per job and
-- period. The first claim inserts it (the primary key makes concurrent claims wait and lose);
-- a claim whose lease lapsed without finishing may be taken over.
CREATE TABLE job_runs (
    job          TEXT COLLATE "C" NOT NULL,
    period       TEXT COLLATE "C" NOT NULL,
    holder       TEXT NOT NULL,
    claimed_at   BIGINT NOT NULL,
    lease_until  BIGINT NOT NULL,
    done_at      BIGINT,
    PRIMARY KEY (job, period)
);

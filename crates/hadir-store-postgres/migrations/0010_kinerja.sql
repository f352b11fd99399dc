-- Daily work reports (laporan kinerja harian, issue 22). One row per activity; instants are
-- UTC epoch milliseconds, dates 'YYYY-MM-DD', times minutes after local midnight.
-- States: submitted (editable) -> approved (final) | returned (editable, note from the
-- validator; an edit submits it again).
CREATE TABLE kinerja_activities (
    id                 BIGSERIAL PRIMARY KEY,
    employee_id        BIGINT NOT NULL REFERENCES employees(id),
    unit_id            BIGINT NOT NULL REFERENCES units(id),
    date               TEXT NOT NULL,
    description        TEXT NOT NULL,
    output             TEXT NOT NULL,
    volume             DOUBLE PRECISION NOT NULL,
    volume_unit        TEXT NOT NULL,
    start_minute       BIGINT NOT NULL,
    end_minute         BIGINT NOT NULL,
    state              TEXT NOT NULL CHECK (state IN ('submitted','approved','returned')),
    note               TEXT,
    attachment_hash    TEXT,
    attachment_mime    TEXT,
    attachment_name    TEXT,
    attachment_size    BIGINT,
    created_by         BIGINT NOT NULL REFERENCES accounts(id),
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    validated_by       BIGINT REFERENCES accounts(id),
    validated_by_name  TEXT,
    validated_at       BIGINT,
    CHECK (start_minute >= 0 AND start_minute < end_minute AND end_minute <= 1440)
);
CREATE INDEX kinerja_activities_employee ON kinerja_activities(employee_id, date);
CREATE INDEX kinerja_activities_unit_state ON kinerja_activities(unit_id, state, date);

-- The whole TPP (issue 22). Policies (weights, score steps, cap, trial mode, the score
-- formula) and bases are effective-dated; a base is for a kelas jabatan (grade) or for one
-- employee (which wins). Cuts by PP 94/2021 are sanctions with dates (cut in hundredths of a
-- percent). Scores are per employee and month, in hundredths of a point (8650 = 86.50).
CREATE TABLE tpp_policies (
    id              BIGSERIAL PRIMARY KEY,
    effective_from  TEXT NOT NULL UNIQUE,
    policy_json     TEXT NOT NULL,
    created_by      BIGINT NOT NULL REFERENCES accounts(id),
    created_at      BIGINT NOT NULL
);
CREATE TABLE tpp_bases (
    id              BIGSERIAL PRIMARY KEY,
    grade           BIGINT,
    employee_id     BIGINT REFERENCES employees(id),
    amount          BIGINT NOT NULL CHECK (amount >= 0),
    effective_from  TEXT NOT NULL,
    created_by      BIGINT NOT NULL REFERENCES accounts(id),
    created_at      BIGINT NOT NULL,
    CHECK ((grade IS NULL) <> (employee_id IS NULL))
);
CREATE INDEX tpp_bases_employee ON tpp_bases(employee_id, effective_from);
CREATE TABLE tpp_sanctions (
    id              BIGSERIAL PRIMARY KEY,
    employee_id     BIGINT NOT NULL REFERENCES employees(id),
    date_from       TEXT NOT NULL,
    date_to         TEXT NOT NULL,
    cut             BIGINT NOT NULL CHECK (cut > 0 AND cut <= 10000),
    label           TEXT NOT NULL,
    created_by      BIGINT NOT NULL REFERENCES accounts(id),
    created_at      BIGINT NOT NULL,
    CHECK (date_from <= date_to)
);
CREATE INDEX tpp_sanctions_employee ON tpp_sanctions(employee_id, date_from);
CREATE TABLE kinerja_scores (
    employee_id     BIGINT NOT NULL REFERENCES employees(id),
    month           TEXT NOT NULL,
    score           BIGINT NOT NULL CHECK (score >= 0 AND score <= 10000),
    source          TEXT NOT NULL CHECK (source IN ('import','api','manual')),
    note            TEXT,
    updated_by_name TEXT NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (employee_id, month)
);

-- Integration credentials (issue 22): for the regency's e-kinerja system, pulling validated
-- activities and attendance and pushing scores. Only the token's SHA-256 is stored; scopes
-- are a space-separated list (`kinerja:read`, `scores:write`).
CREATE TABLE integrations (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL,
    token_hash  BYTEA NOT NULL UNIQUE,
    scopes      TEXT NOT NULL,
    created_by  BIGINT NOT NULL REFERENCES accounts(id),
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);

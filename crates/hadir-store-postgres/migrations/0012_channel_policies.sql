-- Channel policy (issue 25): mirrors SQLite migration 0020.
CREATE TABLE channel_policies (
    id              BIGSERIAL PRIMARY KEY,
    unit_id         BIGINT REFERENCES units(id),
    category        TEXT COLLATE "C" CHECK (category IN ('PNS', 'PPPK', 'HONORER')),
    effective_from  TEXT COLLATE "C" NOT NULL,
    channels        TEXT COLLATE "C" NOT NULL,
    recorded        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at      BIGINT NOT NULL,
    created_by      TEXT COLLATE "C" NOT NULL
);

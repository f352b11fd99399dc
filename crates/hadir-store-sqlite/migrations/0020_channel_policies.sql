-- Channel policy (issue 25): per unit subtree (NULL: the whole regency) and employee category
-- (NULL: every category), from a date, which channels' punches count (comma-separated:
-- terminal, mobile, kiosk, relay) and whether attendance is recorded at all yet. Rows are
-- never edited: a change is a new row from its date (the days before keep the old one).
CREATE TABLE channel_policies (
    id              INTEGER PRIMARY KEY,
    unit_id         INTEGER REFERENCES units(id),
    category        TEXT CHECK (category IN ('PNS', 'PPPK', 'HONORER')),
    effective_from  TEXT NOT NULL,
    channels        TEXT NOT NULL,
    recorded        INTEGER NOT NULL DEFAULT 1,
    created_at      INTEGER NOT NULL,
    created_by      TEXT NOT NULL
);

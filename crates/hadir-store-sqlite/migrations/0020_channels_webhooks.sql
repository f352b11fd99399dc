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

-- Outgoing webhooks (issue 25): endpoints per regency (a WhatsApp/SMS gateway, the TPP system)
-- with a shared secret for the HMAC-SHA256 signature, and the durable outbox their deliveries
-- wait in (retried with exponential backoff; the rows are the delivery log).
CREATE TABLE webhook_endpoints (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    url         TEXT NOT NULL,
    secret      TEXT NOT NULL,
    -- Comma-separated event kinds, or '*' for every kind.
    events      TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL
);
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    endpoint_id     INTEGER NOT NULL REFERENCES webhook_endpoints(id),
    event_kind      TEXT NOT NULL,
    payload         TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_status     INTEGER,
    last_error      TEXT,
    delivered_at    INTEGER
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(state, next_attempt_at);

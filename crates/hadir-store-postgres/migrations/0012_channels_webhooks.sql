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

-- Outgoing webhooks (issue 25): mirrors SQLite migration 0020.
CREATE TABLE webhook_endpoints (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT COLLATE "C" NOT NULL,
    url         TEXT COLLATE "C" NOT NULL,
    secret      TEXT COLLATE "C" NOT NULL,
    events      TEXT COLLATE "C" NOT NULL,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  BIGINT NOT NULL
);
CREATE TABLE webhook_deliveries (
    id              BIGSERIAL PRIMARY KEY,
    endpoint_id     BIGINT NOT NULL REFERENCES webhook_endpoints(id),
    event_kind      TEXT COLLATE "C" NOT NULL,
    payload         TEXT COLLATE "C" NOT NULL,
    created_at      BIGINT NOT NULL,
    state           TEXT COLLATE "C" NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_status     BIGINT,
    last_error      TEXT COLLATE "C",
    delivered_at    BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(state, next_attempt_at);

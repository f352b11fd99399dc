-- Notifications (issue 25): mirrors SQLite migration 0023.
CREATE TABLE push_subscriptions (
    id          BIGSERIAL PRIMARY KEY,
    account_id  BIGINT NOT NULL REFERENCES accounts(id),
    endpoint    TEXT COLLATE "C" NOT NULL UNIQUE,
    p256dh      TEXT COLLATE "C" NOT NULL,
    auth        TEXT COLLATE "C" NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX push_subscriptions_account ON push_subscriptions(account_id);
CREATE TABLE notification_prefs (
    account_id  BIGINT PRIMARY KEY REFERENCES accounts(id),
    kinds       TEXT COLLATE "C" NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE TABLE notifications (
    id          BIGSERIAL PRIMARY KEY,
    dedup_key   TEXT COLLATE "C" NOT NULL UNIQUE,
    account_id  BIGINT NOT NULL REFERENCES accounts(id),
    kind        TEXT COLLATE "C" NOT NULL,
    payload     TEXT COLLATE "C" NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE TABLE push_deliveries (
    id              BIGSERIAL PRIMARY KEY,
    notification_id BIGINT NOT NULL REFERENCES notifications(id),
    subscription_id BIGINT NOT NULL,
    state           TEXT COLLATE "C" NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_status     BIGINT,
    last_error      TEXT COLLATE "C",
    delivered_at    BIGINT
);
CREATE INDEX push_deliveries_due ON push_deliveries(state, next_attempt_at);
CREATE INDEX push_deliveries_subscription ON push_deliveries(subscription_id);

-- Notifications (issue 25): Web Push subscriptions of signed-in people, their preferences (the VAPID key
-- pair is a server secret, `server_secrets`, name `vapid`), and the durable outbox: one
-- `notifications` row per thing to tell someone, unique by `dedup_key` (so a reminder for a
-- person, date, checkpoint and kind is queued once, even by two instances), and one
-- `push_deliveries` row per subscription of that person, retried with backoff.
CREATE TABLE push_subscriptions (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    endpoint    TEXT NOT NULL UNIQUE,
    p256dh      TEXT NOT NULL,
    auth        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX push_subscriptions_account ON push_subscriptions(account_id);
CREATE TABLE notification_prefs (
    account_id  INTEGER PRIMARY KEY REFERENCES accounts(id),
    -- Comma-separated kinds the person receives.
    kinds       TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY,
    dedup_key   TEXT NOT NULL UNIQUE,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE TABLE push_deliveries (
    id              INTEGER PRIMARY KEY,
    notification_id INTEGER NOT NULL REFERENCES notifications(id),
    subscription_id INTEGER NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_status     INTEGER,
    last_error      TEXT,
    delivered_at    INTEGER
);
CREATE INDEX push_deliveries_due ON push_deliveries(state, next_attempt_at);
CREATE INDEX push_deliveries_subscription ON push_deliveries(subscription_id);

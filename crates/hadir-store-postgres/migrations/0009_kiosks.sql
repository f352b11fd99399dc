-- Issue 21 (mirrors SQLite 0017): office QR kiosks and the server secrets their codes are
-- signed with. Only the SHA-256 of a kiosk's token is stored.
CREATE TABLE kiosks (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL,
    unit_id     BIGINT NOT NULL REFERENCES units(id),
    token_hash  BYTEA NOT NULL UNIQUE,
    revoked     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT NOT NULL,
    created_by  BIGINT REFERENCES accounts(id)
);
CREATE INDEX kiosks_unit ON kiosks (unit_id);

CREATE TABLE server_secrets (
    name        TEXT COLLATE "C" PRIMARY KEY,
    secret      BYTEA NOT NULL,
    created_at  BIGINT NOT NULL
);

-- Personal QR cards (colleague check-in): the current version of each employee's card.
CREATE TABLE qr_cards (
    employee_id BIGINT PRIMARY KEY REFERENCES employees(id),
    version     BIGINT NOT NULL,
    issued_at   BIGINT NOT NULL,
    issued_by   BIGINT REFERENCES accounts(id)
);

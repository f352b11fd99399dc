-- Issue 21: office QR kiosks. A kiosk is a browser at an office entrance, registered for one
-- unit; only the SHA-256 of its token is stored (the token is shown once). Its codes are signed
-- with a server secret kept here, so every instance signs and checks with the same key.
CREATE TABLE kiosks (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    token_hash  BLOB NOT NULL UNIQUE,
    revoked     INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    created_by  INTEGER REFERENCES accounts(id)
);
CREATE INDEX kiosks_unit ON kiosks (unit_id);

CREATE TABLE server_secrets (
    name        TEXT PRIMARY KEY,
    secret      BLOB NOT NULL,
    created_at  INTEGER NOT NULL
);

-- Personal QR cards (colleague check-in): the current version of each employee's card. A card
-- names the employee and this version, signed with the same server secret; reissuing raises
-- the version, so every older card is refused.
CREATE TABLE qr_cards (
    employee_id INTEGER PRIMARY KEY REFERENCES employees(id),
    version     INTEGER NOT NULL,
    issued_at   INTEGER NOT NULL,
    issued_by   INTEGER REFERENCES accounts(id)
);

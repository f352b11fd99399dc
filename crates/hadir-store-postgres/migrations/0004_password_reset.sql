-- Issue 16: a password reset by someone else is shown to the owner at their next login,
-- until the owner chooses a new password.
ALTER TABLE accounts ADD COLUMN password_reset_at BIGINT;
ALTER TABLE accounts ADD COLUMN password_reset_by BIGINT REFERENCES accounts(id);
ALTER TABLE accounts ADD COLUMN password_reset_by_name TEXT;

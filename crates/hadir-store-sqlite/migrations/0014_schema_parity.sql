-- Indexes the PostgreSQL schema has had from the start and SQLite lacked (found by the schema
-- parity test, issue 18): sessions by account (deleted on password reset / deactivation),
-- quarantined punches by terminal (released by serial), and terminal commands by device in id
-- order (the history list) plus the queued ones (the poll), replacing (device_id, state, id).
CREATE INDEX sessions_account ON sessions(account_id);
CREATE INDEX punches_quarantined ON punches(device_sn) WHERE quarantined;
DROP INDEX device_commands_queue;
CREATE INDEX device_commands_device ON device_commands(device_id, id);
CREATE INDEX device_commands_queued ON device_commands(device_id, id) WHERE state = 'queued';

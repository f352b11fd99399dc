-- Issue 17 (UU 27/2022 PDP): retention purges and the access log.
-- Purges never change a punch's hashed facts: they set a marker, and the server stops serving
-- what the marker covers. The photo file itself is deleted from the blob store.
ALTER TABLE punches ADD COLUMN photo_purged_at INTEGER;
ALTER TABLE punches ADD COLUMN position_purged_at INTEGER;
ALTER TABLE request_attachments ADD COLUMN purged_at INTEGER;
CREATE INDEX punches_photo_hash ON punches(photo_hash) WHERE photo_hash IS NOT NULL;
CREATE INDEX punches_time ON punches(punched_at);
CREATE INDEX request_attachments_blob ON request_attachments(blob_hash);

-- Blobs whose last unpurged reference is gone, queued in the purge's transaction and removed
-- once the blob store confirms the delete (a crash in between deletes them on the next run).
CREATE TABLE blob_purges (
    kind       TEXT NOT NULL,
    hash       TEXT NOT NULL,
    queued_at  INTEGER NOT NULL,
    PRIMARY KEY (kind, hash)
);

-- Who viewed whose selfie, position or evidence file (not the owner viewing their own).
CREATE TABLE access_log (
    id                   INTEGER PRIMARY KEY,
    at                   INTEGER NOT NULL,
    viewer_account_id    INTEGER,
    viewer_username      TEXT NOT NULL,
    viewer_name          TEXT NOT NULL,
    subject_employee_id  INTEGER NOT NULL REFERENCES employees(id),
    kind                 TEXT NOT NULL,
    item                 TEXT NOT NULL
);
CREATE INDEX access_log_subject ON access_log(subject_employee_id, id);
CREATE INDEX access_log_viewer ON access_log(viewer_account_id, id);
CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END;
CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END;

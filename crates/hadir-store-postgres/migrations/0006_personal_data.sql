-- Issue 17 (UU 27/2022 PDP): retention purges and the access log (mirrors SQLite 0012).
-- Purges never change a punch's hashed facts (the trigger hadir_punch_facts_fixed still refuses
-- that): they set a marker, and the server stops serving what the marker covers.
ALTER TABLE punches ADD COLUMN photo_purged_at BIGINT;
ALTER TABLE punches ADD COLUMN position_purged_at BIGINT;
ALTER TABLE request_attachments ADD COLUMN purged_at BIGINT;
CREATE INDEX punches_photo_hash ON punches(photo_hash) WHERE photo_hash IS NOT NULL;
CREATE INDEX punches_time ON punches(punched_at);
CREATE INDEX request_attachments_blob ON request_attachments(blob_hash);

-- Blobs whose last unpurged reference is gone, queued in the purge's transaction and removed
-- once the blob store confirms the delete.
CREATE TABLE blob_purges (
    kind       TEXT COLLATE "C" NOT NULL,
    hash       TEXT COLLATE "C" NOT NULL,
    queued_at  BIGINT NOT NULL,
    PRIMARY KEY (kind, hash)
);

-- Who viewed whose selfie, position or evidence file (not the owner viewing their own).
CREATE TABLE access_log (
    id                   BIGSERIAL PRIMARY KEY,
    at                   BIGINT NOT NULL,
    viewer_account_id    BIGINT,
    viewer_username      TEXT NOT NULL,
    viewer_name          TEXT NOT NULL,
    subject_employee_id  BIGINT NOT NULL REFERENCES employees(id),
    kind                 TEXT COLLATE "C" NOT NULL,
    item                 TEXT NOT NULL
);
CREATE INDEX access_log_subject ON access_log(subject_employee_id, id);
CREATE INDEX access_log_viewer ON access_log(viewer_account_id, id);
CREATE TRIGGER access_log_no_update BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION hadir_append_only();
CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION hadir_append_only();

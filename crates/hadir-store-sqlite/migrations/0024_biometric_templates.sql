-- Fingerprint and face templates (issue 25): one row per employee, kind (finger, face,
-- bio:<type>) and slot (FID/No, Index). The template is sealed with AES-256-GCM under the
-- server's template key (nonce per row); `digest` is a keyed hash of the plaintext (the same
-- template uploaded again changes nothing). Nothing here is readable without the key.
CREATE TABLE biometric_templates (
    id          INTEGER PRIMARY KEY,
    employee_id INTEGER NOT NULL REFERENCES employees(id),
    kind        TEXT NOT NULL,
    no          INTEGER NOT NULL,
    idx         INTEGER NOT NULL,
    digest      BLOB NOT NULL,
    nonce       BLOB NOT NULL,
    sealed      BLOB NOT NULL,
    source_sn   TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX biometric_templates_slot ON biometric_templates(employee_id, kind, no, idx);

-- Which terminal holds (uploaded, or was sent) which version of a template: a terminal is not
-- sent a template it already has. `command_id` is the DATA UPDATE that carried it (NULL: the
-- terminal uploaded it itself).
CREATE TABLE template_copies (
    device_id   INTEGER NOT NULL REFERENCES devices(id),
    template_id INTEGER NOT NULL REFERENCES biometric_templates(id),
    digest      BLOB NOT NULL,
    command_id  INTEGER REFERENCES device_commands(id),
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (device_id, template_id)
);
CREATE INDEX template_copies_template ON template_copies(template_id);

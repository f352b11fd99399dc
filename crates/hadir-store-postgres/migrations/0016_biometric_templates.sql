-- Fingerprint and face templates (issue 25): mirrors SQLite migration 0024.
CREATE TABLE biometric_templates (
    id          BIGSERIAL PRIMARY KEY,
    employee_id BIGINT NOT NULL REFERENCES employees(id),
    kind        TEXT COLLATE "C" NOT NULL,
    no          BIGINT NOT NULL,
    idx         BIGINT NOT NULL,
    digest      BYTEA NOT NULL,
    nonce       BYTEA NOT NULL,
    sealed      BYTEA NOT NULL,
    source_sn   TEXT COLLATE "C" NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX biometric_templates_slot ON biometric_templates(employee_id, kind, no, idx);

CREATE TABLE template_copies (
    device_id   BIGINT NOT NULL REFERENCES devices(id),
    template_id BIGINT NOT NULL REFERENCES biometric_templates(id),
    digest      BYTEA NOT NULL,
    command_id  BIGINT REFERENCES device_commands(id),
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (device_id, template_id)
);
CREATE INDEX template_copies_template ON template_copies(template_id);

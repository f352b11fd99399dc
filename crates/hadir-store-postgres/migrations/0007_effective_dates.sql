-- Effective-dated facts (issue 19): mirrors SQLite migration 0015.

ALTER TABLE employees ADD COLUMN end_date TEXT COLLATE "C";
ALTER TABLE employees ADD COLUMN end_reason TEXT
    CHECK (end_reason IN ('pensiun','mutasi_keluar','meninggal','berhenti'));

CREATE TABLE employee_units (
    employee_id     BIGINT NOT NULL REFERENCES employees(id),
    unit_id         BIGINT NOT NULL REFERENCES units(id),
    effective_from  TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (employee_id, effective_from)
);
CREATE INDEX employee_units_unit ON employee_units(unit_id);
INSERT INTO employee_units (employee_id, unit_id, effective_from)
    SELECT id, unit_id, COALESCE(start_date, '1900-01-01') FROM employees;

ALTER TABLE calendar_assignments ALTER COLUMN calendar_id DROP NOT NULL;
ALTER TABLE calendar_assignments ADD COLUMN effective_from TEXT COLLATE "C" NOT NULL DEFAULT '1900-01-01';
ALTER TABLE calendar_assignments ALTER COLUMN effective_from DROP DEFAULT;
ALTER TABLE calendar_assignments DROP CONSTRAINT calendar_assignments_unit_id_key;
ALTER TABLE calendar_assignments DROP CONSTRAINT calendar_assignments_employee_id_key;
CREATE UNIQUE INDEX calendar_assignments_unit ON calendar_assignments(unit_id, effective_from);
CREATE UNIQUE INDEX calendar_assignments_employee ON calendar_assignments(employee_id, effective_from);

-- A recap row per employee and unit (an employee who moved mid-month has one in each unit).
DROP INDEX recap_snapshots_live;
CREATE UNIQUE INDEX recap_snapshots_live ON recap_snapshots(month, employee_id, unit_id) WHERE reopened_at IS NULL;

-- Effective-dated facts (issue 19): employment end, unit history (mutasi) and calendar
-- assignments that take effect on a date. Days before a fact's date are never re-evaluated
-- with it.

-- End of employment: the last day employed and why (NULL: still employed).
ALTER TABLE employees ADD COLUMN end_date TEXT;
ALTER TABLE employees ADD COLUMN end_reason TEXT
    CHECK (end_reason IN ('pensiun','mutasi_keluar','meninggal','berhenti'));

-- The unit an employee belongs to from a date on (until the next row). `employees.unit_id`
-- stays the current unit (the check-in path); days are evaluated with the unit of their date.
CREATE TABLE employee_units (
    employee_id     INTEGER NOT NULL REFERENCES employees(id),
    unit_id         INTEGER NOT NULL REFERENCES units(id),
    effective_from  TEXT NOT NULL,
    PRIMARY KEY (employee_id, effective_from)
) WITHOUT ROWID;
CREATE INDEX employee_units_unit ON employee_units(unit_id);
-- Existing employees: their unit since their start (or for ever).
INSERT INTO employee_units (employee_id, unit_id, effective_from)
    SELECT id, unit_id, COALESCE(start_date, '1900-01-01') FROM employees;

-- Calendar assignments keep their history: one row per target and date; `calendar_id` NULL
-- means "inherit again from this date". Existing assignments were in force for ever.
CREATE TABLE calendar_assignments_dated (
    id              INTEGER PRIMARY KEY,
    calendar_id     INTEGER REFERENCES calendars(id),
    unit_id         INTEGER REFERENCES units(id),
    employee_id     INTEGER REFERENCES employees(id),
    effective_from  TEXT NOT NULL,
    CHECK ((unit_id IS NULL) <> (employee_id IS NULL))
);
INSERT INTO calendar_assignments_dated (id, calendar_id, unit_id, employee_id, effective_from)
    SELECT id, calendar_id, unit_id, employee_id, '1900-01-01' FROM calendar_assignments;
DROP TABLE calendar_assignments;
ALTER TABLE calendar_assignments_dated RENAME TO calendar_assignments;
CREATE UNIQUE INDEX calendar_assignments_unit ON calendar_assignments(unit_id, effective_from);
CREATE UNIQUE INDEX calendar_assignments_employee ON calendar_assignments(employee_id, effective_from);

-- A recap row per employee and unit (an employee who moved mid-month has one in each unit).
DROP INDEX recap_snapshots_live;
CREATE UNIQUE INDEX recap_snapshots_live ON recap_snapshots(month, employee_id, unit_id) WHERE reopened_at IS NULL;

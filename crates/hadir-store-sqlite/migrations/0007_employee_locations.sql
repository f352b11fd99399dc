-- Extra check-in locations for an employee beyond their unit's (a teacher serving two schools,
-- a field officer posted at a branch office).
CREATE TABLE employee_locations (
    employee_id  INTEGER NOT NULL REFERENCES employees(id),
    location_id  INTEGER NOT NULL REFERENCES unit_locations(id),
    PRIMARY KEY (employee_id, location_id)
);

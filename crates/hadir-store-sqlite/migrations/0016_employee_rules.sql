-- Issue 19: facts of an employee the rules read when the NIP does not carry them (or says
-- otherwise), and the position class for the Perbup deduction options. All optional.
--   service_start: the TMT service counts from (PP 11/2017 eligibility); overrides the NIP's.
--   gender: 'L' (laki-laki) or 'P' (perempuan); overrides the NIP's gender digit.
--   grade: kelas jabatan 1–17 (rule sets may scale deductions by it).
ALTER TABLE employees ADD COLUMN service_start TEXT;
ALTER TABLE employees ADD COLUMN gender TEXT CHECK (gender IN ('L', 'P'));
ALTER TABLE employees ADD COLUMN grade INTEGER CHECK (grade BETWEEN 1 AND 17);

-- Issue 21 point 4: the address of a relay's office-network app ("Presensi lokal: http://…"),
-- as the relay reports it; shown in the employee app of its unit subtree.
ALTER TABLE relays ADD COLUMN local_url TEXT;

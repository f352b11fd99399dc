//! Port-4370 binary protocol.

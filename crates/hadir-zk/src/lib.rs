//! ZKTeco terminal codecs for Hadir, sans-IO: every function here works on
//! bytes and strings only. Sockets, HTTP and time-outs belong to the callers
//! (the server's `/iclock/*` endpoints and the office relay), so the codecs
//! can be fuzzed exhaustively and reused by a terminal emulator in tests.
//!
//! * [`push`]: the PUSH/ADMS text protocol (terminal → server over HTTP),
//!   after ZKTeco's "Attendance PUSH Communication Protocol" 2.4.1.
//! * [`binary`]: the port-4370 binary protocol (relay → terminal, TCP/UDP).
//! * [`logfile`]: attendance logs a terminal exported to a USB flash disk.
//!
//! # Why our own codec
//!
//! The Rust crates `rustzk`, `zkrust` and `zkteco` (all MIT) were evaluated.
//! Each is a *client*: it owns the socket and blocks (or awaits) inside its
//! calls, and they are ports of `pyzk` maintained by one person, with no
//! sans-IO layer we could fuzz, drive from a terminal emulator, or reuse for
//! the PUSH side. `zkrust` is also an early multi-crate skeleton without
//! attendance parsing. The wire formats are small and well documented by
//! `pyzk` and `adrobinoga/zk-protocol`, so a small codec of our own costs less
//! than adapting any of them and keeps untrusted-input handling under our
//! control (no panics, bounded allocations, typed errors).
//!
//! Nothing in this crate panics on untrusted input: parsers never index
//! without a bound check and report malformed input as values (`Err` or a
//! per-line/per-record error list) so one bad line never loses a whole body.

pub mod binary;
pub mod logfile;
pub mod push;

mod util;

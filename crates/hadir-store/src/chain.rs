//! The punch hash chain. Each punch stores the hash of the previous punch and its own hash over
//! its immutable facts, so an edit anywhere breaks every later link. Both backends use this one
//! definition, and `hadir verify-chain` recomputes it.

use crate::types::NewPunch;
use sha2::{Digest, Sha256};

/// The chain's first `prev_hash`.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(|x| x.to_string()).unwrap_or_default()
}

/// Canonical text of a punch's facts: fields that are never changed after insert. Derived state
/// (employee match for terminal PINs, review, quarantine) is deliberately left out.
pub fn canonical(p: &NewPunch) -> String {
    [
        p.source.as_str().to_string(),
        p.dedup_key.clone(),
        p.punched_at.as_millisecond().to_string(),
        p.received_at.as_millisecond().to_string(),
        opt(&p.captured_at.map(|t| t.as_millisecond())),
        opt(&p.device_sn),
        opt(&p.device_pin),
        opt(&p.lat),
        opt(&p.lon),
        opt(&p.accuracy_m),
        opt(&p.photo_hash),
        opt(&p.note),
    ]
    .join("\u{1f}")
}

pub fn link_hash(prev_hash: &str, p: &NewPunch) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(canonical(p).as_bytes());
    hex::encode(h.finalize())
}

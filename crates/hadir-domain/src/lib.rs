//! Hadir's pure domain: identifiers, geometry, schedules, rule sets and the day evaluator.
//!
//! Nothing in this crate performs I/O; every function is deterministic given its inputs, so
//! day records and recaps can always be recomputed and explained.

pub mod day_time;
pub mod discipline;
pub mod evaluate;
pub mod geo;
pub mod holiday;
mod matching;
pub mod nip;
pub mod percent;
pub mod recap;
pub mod rules;
pub mod schedule;
pub mod status;
pub mod verdict;
pub mod zone;

pub use geo::{GeoPoint, distance_m};
pub use nip::{Nip, NipError, NipKind};

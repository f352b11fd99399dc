//! Bounded-time fuzzing without nightly: random and mutated inputs (seeded
//! from valid protocol examples and real-device bytes) go through every
//! target for `HADIR_FUZZ_SECS` seconds each (default 60). Run in CI with
//!
//! ```sh
//! cargo test -p hadir-zk --release -- --ignored fuzz
//! ```
//!
//! `HADIR_FUZZ_SEED` fixes the random seed to reproduce a failure; a failing
//! input is printed in hex before the panic is re-raised.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::time::{Duration, Instant};

/// xorshift64*: tiny, deterministic for a given seed, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

const TOKENS: &[&[u8]] = &[
    b"\t",
    b"\n",
    b"\r\n",
    b"=",
    b"&",
    b"%",
    b",",
    b"\0",
    b"\xfe",
    b"\xff",
    b"-1",
    b"0",
    b"4294967295",
    b"2024-03-01 07:31:02",
    b"PIN=",
    b"ID=",
    b"Return=",
    b"CMD=INFO",
    b"USER ",
    b"OPLOG ",
    b"FP ",
    b"FACE ",
    b"BIODATA ",
    b"TMP=",
    b"PP\x82}",
    b"\xdc\x05",
    b"\xdd\x05",
    b"\xd0\x07",
    b"\xf4\x01",
];

fn mutate(rng: &mut Rng, input: &mut Vec<u8>, pool: &[Vec<u8>]) {
    for _ in 0..=rng.below(8) {
        let len = input.len();
        match rng.below(8) {
            0 if len > 0 => {
                let i = rng.below(len);
                input[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                input[i] = rng.next() as u8;
            }
            2 => {
                let i = rng.below(len + 1);
                input.insert(i, rng.next() as u8);
            }
            3 if len > 0 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(16)).min(len);
                input.drain(a..b);
            }
            4 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                let i = rng.below(len + 1);
                input.splice(i..i, t.iter().copied());
            }
            5 if len > 0 => {
                // Duplicate a slice (repeated records, repeated frames).
                let a = rng.below(len);
                let b = (a + 1 + rng.below(64)).min(len);
                let chunk = input[a..b].to_vec();
                let i = rng.below(len + 1);
                input.splice(i..i, chunk);
            }
            6 if !pool.is_empty() => {
                // Splice in part of another seed.
                let other = &pool[rng.below(pool.len())];
                let a = rng.below(other.len() + 1);
                let b = (a + rng.below(128)).min(other.len());
                let i = rng.below(len + 1);
                input.splice(i..i, other[a..b].iter().copied());
            }
            7 if len > 0 => input.truncate(rng.below(len)),
            _ => {}
        }
    }
    input.truncate(1 << 16);
}

fn run(name: &str) {
    let (_, target) = common::TARGETS.iter().find(|(n, _)| *n == name).expect("known target");
    let secs: u64 = std::env::var("HADIR_FUZZ_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
    let seed: u64 = std::env::var("HADIR_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64)
    }) | 1;
    let mut rng = Rng(seed ^ name.bytes().fold(0, |h, b| h * 31 + u64::from(b)) | 1);
    let mut pool = common::seeds(name);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut runs = 0u64;
    while Instant::now() < deadline {
        for _ in 0..64 {
            let input = if pool.is_empty() || rng.below(4) == 0 {
                let n = rng.below(512);
                (0..n).map(|_| rng.next() as u8).collect()
            } else {
                let mut v = pool[rng.below(pool.len())].clone();
                mutate(&mut rng, &mut v, &pool);
                v
            };
            if let Err(panic) = catch_unwind(AssertUnwindSafe(|| target(&input))) {
                let hex: String = input.iter().map(|b| format!("{b:02x}")).collect();
                eprintln!("fuzz target {name} panicked (HADIR_FUZZ_SEED={seed}) on input:\n{hex}");
                resume_unwind(panic);
            }
            // Keep a bounded, slowly refreshed pool of mutants to explore from.
            if pool.len() < 256 {
                pool.push(input);
            } else if rng.below(16) == 0 {
                let i = rng.below(pool.len());
                pool[i] = input;
            }
            runs += 1;
        }
    }
    eprintln!("fuzz target {name}: {runs} inputs in {secs}s, no panic (seed {seed})");
}

macro_rules! fuzz_targets {
    ($($name:ident),* $(,)?) => {$(
        #[test]
        #[ignore = "bounded-time fuzzing: cargo test -p hadir-zk --release -- --ignored fuzz"]
        fn $name() {
            run(stringify!($name).trim_start_matches("fuzz_"));
        }
    )*};
}

fuzz_targets!(
    fuzz_push_query,
    fuzz_push_attlog,
    fuzz_push_operlog,
    fuzz_push_attphoto,
    fuzz_push_devicecmd,
    fuzz_push_command,
    fuzz_bin_packet,
    fuzz_bin_tcp_stream,
    fuzz_bin_datasets,
    fuzz_bin_chunks,
    fuzz_bin_user_encode,
    fuzz_usb_logfile,
);

#[test]
fn every_target_has_a_fuzz_test_and_seeds() {
    for (name, _) in common::TARGETS {
        assert!(!common::seeds(name).is_empty(), "{name} has no seeds");
    }
    assert_eq!(common::TARGETS.len(), 12);
}

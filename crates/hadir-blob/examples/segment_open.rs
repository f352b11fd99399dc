//! Start-up time of a segment store: open from footers against the full scan of every record.
//! Run by hand (not a test, asserts nothing):
//!
//! ```sh
//! cargo run -p hadir-blob --example segment_open -- [objects] [bytes] [segment MiB] [dir]
//! ```
//!
//! Writes `objects` photos of `bytes` each (default 20,000 × 30 KB over 64 MiB segments) into a
//! fresh directory, closes the store (sealing the last segment), then times three opens of each
//! kind with the segment files evicted from the page cache first (`posix_fadvise(DONTNEED)`,
//! a cold start) and three with them cached, and prints the medians. Then opens with the
//! in-memory index capped at a tenth of the photos and times reads of the oldest photos
//! (looked up through their segments' footers) and of the newest (in memory), cache warm.

use bytes::Bytes;
use hadir_blob::{BlobStore, LocalLayout, SegmentOptions, content_hash};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::time::{Duration, Instant};

fn arg(i: usize, default: u64) -> u64 {
    std::env::args().nth(i).map_or(default, |a| a.parse().expect("a number"))
}

/// Drops the segment files' pages from the page cache (they are clean: the store synced them).
fn evict(root: &Path) {
    for e in std::fs::read_dir(root.join("segments")).expect("segments") {
        let f = std::fs::File::open(e.expect("entry").path()).expect("segment");
        // SAFETY: fadvise only reads the descriptor, which stays open for the call.
        unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Distinct bytes per photo (the name is their hash).
fn photo(i: u64, size: usize) -> Vec<u8> {
    let mut bytes = vec![(i % 251) as u8; size];
    bytes[..8].copy_from_slice(&i.to_le_bytes());
    bytes
}

fn main() {
    let (n, size, seg_mib) = (arg(1, 20_000), arg(2, 30_000) as usize, arg(3, 64));
    let tmp;
    let root = match std::env::args().nth(4) {
        Some(d) => std::path::PathBuf::from(d),
        None => {
            tmp = tempfile::tempdir().expect("tempdir");
            tmp.path().to_path_buf()
        }
    };
    let opts = SegmentOptions { max_segment_bytes: seg_mib << 20, ..Default::default() };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let t = Instant::now();
    rt.block_on(async {
        let (store, _) = BlobStore::local_opened_with(&root, LocalLayout::Segments, opts).expect("open");
        // 256 concurrent puts at a time, so that puts share their fdatasyncs as the server's do.
        for chunk in (0..n).collect::<Vec<_>>().chunks(256) {
            let tasks: Vec<_> = chunk
                .iter()
                .map(|&i| {
                    let store = store.clone();
                    let bytes = photo(i, size);
                    tokio::spawn(async move { store.put("photos", Bytes::from(bytes)).await.expect("put") })
                })
                .collect();
            for t in tasks {
                t.await.expect("task");
            }
        }
    });
    println!("wrote {n} objects of {size} bytes in {:.1} s", t.elapsed().as_secs_f64());

    for (name, use_footers) in [("footers", true), ("full scan", false)] {
        for cold in [true, false] {
            let mut times = Vec::new();
            let mut report = None;
            for _ in 0..3 {
                if cold {
                    evict(&root);
                }
                let t = Instant::now();
                let (store, rep) =
                    BlobStore::local_opened_with(&root, LocalLayout::Segments, SegmentOptions { use_footers, ..opts })
                        .expect("open");
                times.push(t.elapsed());
                drop(store);
                report = Some(rep);
            }
            let rep = report.expect("three opens");
            println!(
                "open, {name}, {}: median {:.1} ms of {:?} ({} segments, {} live, {} from footers)",
                if cold { "cold cache" } else { "warm cache" },
                median(times.clone()).as_secs_f64() * 1e3,
                times.iter().map(|t| format!("{:.1}", t.as_secs_f64() * 1e3)).collect::<Vec<_>>(),
                rep.segments,
                rep.live,
                rep.from_footers,
            );
        }
    }

    let cap = (n / 10) as usize;
    let t = Instant::now();
    let (store, rep) =
        BlobStore::local_opened_with(&root, LocalLayout::Segments, SegmentOptions { max_index_entries: cap, ..opts })
            .expect("open");
    println!(
        "open, index capped at {cap}: {:.1} ms ({} live, {} in memory, {} of {} segments cold)",
        t.elapsed().as_secs_f64() * 1e3,
        rep.live,
        rep.indexed,
        rep.cold,
        rep.segments
    );
    let sample = 1000.min(n);
    for (name, range) in [("oldest (footers)", 0..sample), ("newest (memory)", n - sample..n)] {
        let hashes: Vec<String> = range.map(|i| content_hash(&photo(i, size))).collect();
        let mut times = Vec::new();
        rt.block_on(async {
            for h in &hashes {
                let t = Instant::now();
                store.get("photos", h).await.expect("get");
                times.push(t.elapsed());
            }
        });
        println!("get, {name}: median {:.0} µs over {sample} photos", median(times).as_secs_f64() * 1e6);
    }
}

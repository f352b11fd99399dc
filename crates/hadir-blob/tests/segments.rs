//! The segment store on a real directory: durability across reopen, torn tails, deletion,
//! footers (sealed segments indexed without reading their records, torn footers, segments
//! without one), the old one-file-per-object layout, and a property test of random
//! writes/deletes/reopens/crashes.

use bytes::Bytes;
use hadir_blob::{BlobError, BlobStore, LocalLayout, SegmentOptions, content_hash};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

fn open(dir: &Path) -> BlobStore {
    BlobStore::local_with(dir, LocalLayout::Segments).unwrap()
}

fn segment_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = match std::fs::read_dir(dir.join("segments")) {
        Ok(rd) => rd.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

/// The length of the segment's footer, when it ends in a footer trailer.
fn footer_len(seg: &Path) -> Option<u64> {
    let bytes = std::fs::read(seg).unwrap();
    let t = bytes.get(bytes.len().checked_sub(16)?..)?;
    (&t[0..4] == b"HSGF").then(|| u32::from_le_bytes(t[8..12].try_into().unwrap()) as u64)
}

/// Cuts the segment to `keep` bytes past the end of its records (0: what a writer that crashed
/// before sealing, or older code, leaves). Returns where the records end.
fn cut_footer(seg: &Path, keep: u64) -> u64 {
    let len = std::fs::metadata(seg).unwrap().len();
    let end = len - footer_len(seg).expect("a sealed segment");
    std::fs::OpenOptions::new().write(true).open(seg).unwrap().set_len(end + keep).unwrap();
    end
}

#[tokio::test]
async fn put_get_reopen_and_no_file_per_object() {
    let dir = tempfile::tempdir().unwrap();
    let b = open(dir.path());
    let h = b.put("photos", Bytes::from_static(b"jpeg one")).await.unwrap();
    assert_eq!(h, content_hash(b"jpeg one"));
    assert_eq!(b.put("photos", Bytes::from_static(b"jpeg one")).await.unwrap(), h, "content addressed");
    let e = b.put("evidence", Bytes::from_static(b"%PDF")).await.unwrap();
    assert_eq!(&b.get("photos", &h).await.unwrap()[..], b"jpeg one");
    assert!(b.exists("evidence", &e).await.unwrap());
    // Same hash, other kind: not found.
    assert!(matches!(b.get("evidence", &h).await, Err(BlobError::NotFound)));
    assert!(!dir.path().join("photos").exists(), "no file per photo");
    assert_eq!(segment_files(dir.path()).len(), 1);
    let len = std::fs::metadata(&segment_files(dir.path())[0]).unwrap().len();
    assert_eq!(len, (48 + 6 + 8) + (48 + 8 + 4), "the duplicate put appended nothing");
    drop(b);
    let (b, rep) = BlobStore::local_opened(dir.path(), LocalLayout::Segments, 1 << 20).unwrap();
    assert_eq!((rep.segments, rep.live, rep.ignored_bytes), (1, 2, 0));
    assert_eq!(&b.get("photos", &h).await.unwrap()[..], b"jpeg one");
    assert_eq!(&b.get("evidence", &e).await.unwrap()[..], b"%PDF");
    // A reopened writer starts its own segment.
    b.put("photos", Bytes::from_static(b"jpeg two")).await.unwrap();
    assert_eq!(segment_files(dir.path()).len(), 2);
}

#[tokio::test]
async fn concurrent_puts_all_durable_and_readable() {
    let dir = tempfile::tempdir().unwrap();
    let b = open(dir.path());
    let mut tasks = Vec::new();
    for i in 0..200u32 {
        let b = b.clone();
        tasks.push(tokio::spawn(async move {
            let bytes = Bytes::from(format!("photo number {i}").repeat(50));
            (b.put("photos", bytes.clone()).await.unwrap(), bytes)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.push(t.await.unwrap());
    }
    drop(b);
    let (b, rep) = BlobStore::local_opened(dir.path(), LocalLayout::Segments, 1 << 20).unwrap();
    assert_eq!(rep.live, 200);
    for (h, bytes) in all {
        assert_eq!(b.get("photos", &h).await.unwrap(), bytes);
    }
}

#[tokio::test]
async fn torn_last_record_is_ignored_on_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let b = open(dir.path());
    let h1 = b.put("photos", Bytes::from(vec![1u8; 1000])).await.unwrap();
    let h2 = b.put("photos", Bytes::from(vec![2u8; 1000])).await.unwrap();
    drop(b);
    let seg = segment_files(dir.path()).pop().unwrap();
    // Power loss mid-append: the writer never sealed, and the second record is cut in its payload.
    let full = cut_footer(&seg, 0);
    let f = std::fs::OpenOptions::new().write(true).open(&seg).unwrap();
    f.set_len(full - 300).unwrap();
    drop(f);
    let (b, rep) = BlobStore::local_opened(dir.path(), LocalLayout::Segments, 1 << 20).unwrap();
    assert_eq!((rep.live, rep.ignored_bytes), (1, (48 + 6 + 1000) - 300));
    assert_eq!(b.get("photos", &h1).await.unwrap(), vec![1u8; 1000]);
    assert!(matches!(b.get("photos", &h2).await, Err(BlobError::NotFound)));
    // The photo can be stored again (a retry) and survives the next reopen.
    b.put("photos", Bytes::from(vec![2u8; 1000])).await.unwrap();
    drop(b);
    let b = open(dir.path());
    assert_eq!(b.get("photos", &h2).await.unwrap(), vec![2u8; 1000]);
}

#[tokio::test]
async fn damaged_payload_is_detected_by_the_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let b = open(dir.path());
    let h = b.put("photos", Bytes::from(vec![7u8; 500])).await.unwrap();
    drop(b);
    let seg = segment_files(dir.path()).pop().unwrap();
    // An unsealed segment (its writer crashed), so the open scans it.
    cut_footer(&seg, 0);
    let mut bytes = std::fs::read(&seg).unwrap();
    bytes[48 + 6 + 100] ^= 0xff;
    std::fs::write(&seg, &bytes).unwrap();
    let (b, rep) = BlobStore::local_opened(dir.path(), LocalLayout::Segments, 1 << 20).unwrap();
    assert_eq!((rep.live, rep.ignored_bytes), (0, bytes.len() as u64));
    assert!(matches!(b.get("photos", &h).await, Err(BlobError::NotFound)));
}

#[tokio::test]
async fn sealed_segments_open_from_their_footers_without_reading_records() {
    let dir = tempfile::tempdir().unwrap();
    // Tiny segments: each photo rolls to a new one, sealing the one before.
    let (b, _) = BlobStore::local_opened(dir.path(), LocalLayout::Segments, 100).unwrap();
    let h1 = b.put("photos", Bytes::from(vec![1u8; 80])).await.unwrap();
    let h2 = b.put("photos", Bytes::from(vec![2u8; 80])).await.unwrap();
    let h3 = b.put("photos", Bytes::from(vec![3u8; 80])).await.unwrap();
    let segs = segment_files(dir.path());
    assert_eq!(segs.len(), 3);
    assert!(footer_len(&segs[0]).is_some() && footer_len(&segs[1]).is_some(), "sealed when rolled away from");
    assert!(footer_len(&segs[2]).is_none(), "being written");
    // A second instance while the writer lives: the footers serve, and the segment the writer
    // holds is scanned but left unsealed.
    let (other, rep) = BlobStore::local_opened(dir.path(), LocalLayout::Segments, 100).unwrap();
    assert_eq!((rep.segments, rep.from_footers, rep.sealed, rep.live), (3, 2, 0, 3));
    assert!(footer_len(&segs[2]).is_none());
    assert_eq!(other.get("photos", &h3).await.unwrap(), vec![3u8; 80]);
    drop(other);
    drop(b);
    assert!(footer_len(&segs[2]).is_some(), "sealed at close");
    // Damage one photo's bytes: an open that read the records would stop at it.
    let mut bytes = std::fs::read(&segs[0]).unwrap();
    bytes[48 + 6 + 10] ^= 0xff;
    std::fs::write(&segs[0], &bytes).unwrap();
    let (b, rep) = BlobStore::local_opened(dir.path(), LocalLayout::Segments, 100).unwrap();
    assert_eq!((rep.segments, rep.from_footers, rep.sealed, rep.live, rep.ignored_bytes), (3, 3, 0, 3, 0));
    // The damaged photo fails its checksum instead of coming back wrong; the others read.
    match b.get("photos", &h1).await {
        Err(BlobError::Backend(m)) => assert!(m.contains("checksum"), "{m}"),
        other => panic!("expected a checksum error, got {other:?}"),
    }
    assert_eq!(b.get("photos", &h2).await.unwrap(), vec![2u8; 80]);
    assert_eq!(b.get("photos", &h3).await.unwrap(), vec![3u8; 80]);
}

#[tokio::test]
async fn two_writers_in_one_directory_each_seal_their_own_segments() {
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = BlobStore::local_opened(dir.path(), LocalLayout::Segments, 300).unwrap();
    let (b, _) = BlobStore::local_opened(dir.path(), LocalLayout::Segments, 300).unwrap();
    let mut all = Vec::new();
    for i in 0..12u8 {
        let w = if i % 2 == 0 { &a } else { &b };
        let bytes = Bytes::from(vec![i; 100]);
        all.push((w.put("photos", bytes.clone()).await.unwrap(), bytes));
    }
    // An open in the middle seals nothing either writer holds.
    let (c, rep) = BlobStore::local_opened(dir.path(), LocalLayout::Segments, 300).unwrap();
    assert_eq!((rep.sealed, rep.live), (0, 12));
    assert_eq!(rep.from_footers + 2, rep.segments, "all but the two being written");
    drop((a, b, c));
    let (d, rep) = BlobStore::local_opened(dir.path(), LocalLayout::Segments, 300).unwrap();
    assert_eq!((rep.from_footers, rep.sealed, rep.live), (rep.segments, 0, 12));
    for (h, bytes) in &all {
        assert_eq!(&d.get("photos", h).await.unwrap(), bytes);
    }
}

#[tokio::test]
async fn torn_or_damaged_footer_falls_back_to_a_scan_and_loses_nothing() {
    // Cut mid-footer (power loss while sealing), or one flipped byte in a footer entry.
    for damage in ["cut", "flip"] {
        let dir = tempfile::tempdir().unwrap();
        let b = open(dir.path());
        let mut all = Vec::new();
        for i in 0..20u8 {
            let bytes = Bytes::from(vec![i; 100 + i as usize]);
            all.push((b.put("photos", bytes.clone()).await.unwrap(), bytes));
        }
        drop(b);
        let seg = segment_files(dir.path()).pop().unwrap();
        let flen = footer_len(&seg).unwrap();
        assert_eq!(flen, 1 + 7 + 20 * 44 + 16, "kinds table, 20 entries, trailer");
        let len = std::fs::metadata(&seg).unwrap().len();
        let ignored = if damage == "cut" {
            cut_footer(&seg, flen / 2);
            flen / 2
        } else {
            let mut bytes = std::fs::read(&seg).unwrap();
            bytes[(len - flen + 8 + 5 * 44 + 3) as usize] ^= 0x40;
            std::fs::write(&seg, &bytes).unwrap();
            flen
        };
        let (b, rep) = BlobStore::local_opened(dir.path(), LocalLayout::Segments, 1 << 20).unwrap();
        assert_eq!((rep.from_footers, rep.sealed, rep.live, rep.ignored_bytes), (0, 1, 20, ignored), "{damage}");
        for (h, bytes) in &all {
            assert_eq!(&b.get("photos", h).await.unwrap(), bytes);
        }
        drop(b);
        // Sealed again (after the damaged bytes, which stay): the next open reads the footer.
        let (b, rep) = BlobStore::local_opened(dir.path(), LocalLayout::Segments, 1 << 20).unwrap();
        assert_eq!((rep.from_footers, rep.sealed, rep.live, rep.ignored_bytes), (1, 0, 20, 0), "{damage}");
        for (h, bytes) in &all {
            assert_eq!(&b.get("photos", h).await.unwrap(), bytes);
        }
    }
}

#[tokio::test]
async fn segments_without_a_footer_open_and_get_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let (b, _) = BlobStore::local_opened(dir.path(), LocalLayout::Segments, 400).unwrap();
    let mut all = Vec::new();
    for i in 0..6u8 {
        let bytes = Bytes::from(vec![i; 120]);
        all.push((b.put("photos", bytes.clone()).await.unwrap(), bytes));
    }
    drop(b);
    // What code from before footers wrote: records only.
    let segs = segment_files(dir.path());
    assert_eq!(segs.len(), 3);
    let ends: Vec<u64> = segs.iter().map(|s| cut_footer(s, 0)).collect();
    let (b, rep) = BlobStore::local_opened(dir.path(), LocalLayout::Segments, 400).unwrap();
    assert_eq!((rep.segments, rep.from_footers, rep.sealed, rep.live, rep.ignored_bytes), (3, 0, 3, 6, 0));
    for (s, end) in segs.iter().zip(&ends) {
        assert_eq!(std::fs::metadata(s).unwrap().len(), end + footer_len(s).unwrap(), "footer right after records");
    }
    for (h, bytes) in &all {
        assert_eq!(&b.get("photos", h).await.unwrap(), bytes);
    }
    drop(b);
    let (_, rep) = BlobStore::local_opened(dir.path(), LocalLayout::Segments, 400).unwrap();
    assert_eq!((rep.from_footers, rep.sealed, rep.live), (3, 0, 6));
}

#[tokio::test]
async fn a_deleted_record_does_not_end_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let b = open(dir.path());
    let ha = b.put("photos", Bytes::from(vec![1u8; 5000])).await.unwrap();
    let hb = b.put("photos", Bytes::from(vec![2u8; 5000])).await.unwrap();
    // Its state byte is rewritten and its bytes freed (zeros where holes can be punched).
    b.delete("photos", &ha).await.unwrap();
    drop(b);
    let seg = segment_files(dir.path()).pop().unwrap();
    cut_footer(&seg, 0);
    let (b, rep) = BlobStore::local_opened(dir.path(), LocalLayout::Segments, 1 << 20).unwrap();
    assert_eq!((rep.from_footers, rep.sealed, rep.live, rep.ignored_bytes), (0, 1, 1, 0));
    assert!(!b.exists("photos", &ha).await.unwrap());
    assert_eq!(b.get("photos", &hb).await.unwrap(), vec![2u8; 5000]);
}

#[tokio::test]
async fn deletes_before_and_after_sealing_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let b = open(dir.path());
    let ha = b.put("photos", Bytes::from_static(b"photo a")).await.unwrap();
    let hb = b.put("photos", Bytes::from_static(b"photo b")).await.unwrap();
    let hc = b.put("photos", Bytes::from_static(b"photo c")).await.unwrap();
    // Before sealing: the footer written at close marks it deleted.
    b.delete("photos", &ha).await.unwrap();
    drop(b);
    let (b, rep) = BlobStore::local_opened(dir.path(), LocalLayout::Segments, 1 << 20).unwrap();
    assert_eq!((rep.from_footers, rep.live), (1, 2));
    assert!(!b.exists("photos", &ha).await.unwrap());
    // After sealing: the delete marks the footer entry.
    b.delete("photos", &hb).await.unwrap();
    drop(b);
    let (b, rep) = BlobStore::local_opened(dir.path(), LocalLayout::Segments, 1 << 20).unwrap();
    assert_eq!((rep.from_footers, rep.live), (1, 1));
    assert!(matches!(b.get("photos", &ha).await, Err(BlobError::NotFound)));
    assert!(matches!(b.get("photos", &hb).await, Err(BlobError::NotFound)));
    assert_eq!(&b.get("photos", &hc).await.unwrap()[..], b"photo c");
    // A deleted photo stored again lives again, in a new record.
    b.put("photos", Bytes::from_static(b"photo a")).await.unwrap();
    drop(b);
    let (b, rep) = BlobStore::local_opened(dir.path(), LocalLayout::Segments, 1 << 20).unwrap();
    assert_eq!((rep.from_footers, rep.live), (2, 2));
    assert_eq!(&b.get("photos", &ha).await.unwrap()[..], b"photo a");
    // The record's state byte stays the truth: a footer mark left live by a crash between the
    // two writes of a delete serves nothing. The first segment lists b (deleted) and c; a was
    // deleted before it was sealed, so it is not listed.
    drop(b);
    let seg = &segment_files(dir.path())[0];
    let mut bytes = std::fs::read(seg).unwrap();
    let marks = bytes.len() - 16 - 2 * 44 + 33;
    let dead: Vec<usize> = (0..2).map(|i| marks + i * 44).filter(|&p| bytes[p] == b'D').collect();
    assert_eq!(dead.len(), 1);
    bytes[dead[0]] = b'L';
    std::fs::write(seg, &bytes).unwrap();
    let (b, rep) = BlobStore::local_opened(dir.path(), LocalLayout::Segments, 1 << 20).unwrap();
    assert_eq!(rep.from_footers, 2, "the mark is outside the footer's checksum");
    assert!(!b.exists("photos", &hb).await.unwrap());
    assert!(matches!(b.get("photos", &hb).await, Err(BlobError::NotFound)));
    assert_eq!(&b.get("photos", &ha).await.unwrap()[..], b"photo a");
    assert_eq!(&b.get("photos", &hc).await.unwrap()[..], b"photo c");
    assert_eq!(rep.live, 3, "the stale mark counts b live");
    // Deleting it again (a purge run again after the crash) repairs the mark and the count.
    b.delete("photos", &hb).await.unwrap();
    drop(b);
    let (b, rep) = BlobStore::local_opened(dir.path(), LocalLayout::Segments, 1 << 20).unwrap();
    assert_eq!(rep.live, 2);
    assert!(std::fs::read(seg).unwrap()[dead[0]] == b'D');
    // And the first segment goes once c goes.
    b.delete("photos", &hc).await.unwrap();
    assert!(!seg.exists());
    assert_eq!(&b.get("photos", &ha).await.unwrap()[..], b"photo a");
}

#[tokio::test]
async fn a_bounded_index_looks_older_segments_up_in_their_footers() {
    let dir = tempfile::tempdir().unwrap();
    // Two photos per segment, at most four objects in memory.
    let opts = SegmentOptions { max_segment_bytes: 400, max_index_entries: 4, ..Default::default() };
    let photo = |i: u8| Bytes::from(vec![i; 120]);
    let (b, _) = BlobStore::local_opened_with(dir.path(), LocalLayout::Segments, opts).unwrap();
    let mut hs = Vec::new();
    for i in 0..20u8 {
        hs.push(b.put("photos", photo(i)).await.unwrap());
        assert!(b.segment_index_len() <= 4 + 2, "the cap, plus the segment being written");
    }
    assert_eq!(segment_files(dir.path()).len(), 10);
    for (i, h) in hs.iter().enumerate() {
        assert_eq!(b.get("photos", h).await.unwrap(), photo(i as u8), "photo {i}");
    }
    // Deletes in cold segments (0 and 1 share the first one, which then goes) and a hot one.
    for i in [0, 1, 5, 19] {
        b.delete("photos", &hs[i]).await.unwrap();
        assert!(!b.exists("photos", &hs[i]).await.unwrap());
    }
    assert_eq!(segment_files(dir.path()).len(), 9, "the emptied cold segment is removed");
    drop(b);
    let (b, rep) = BlobStore::local_opened_with(dir.path(), LocalLayout::Segments, opts).unwrap();
    assert_eq!((rep.segments, rep.from_footers, rep.live), (9, 9, 16));
    assert!(rep.indexed <= 4 && rep.cold >= 7, "{rep:?}");
    for (i, h) in hs.iter().enumerate() {
        match i {
            0 | 1 | 5 | 19 => assert!(matches!(b.get("photos", h).await, Err(BlobError::NotFound)), "photo {i}"),
            _ => assert_eq!(b.get("photos", h).await.unwrap(), photo(i as u8), "photo {i}"),
        }
    }
    // A put looks only in memory, so an old photo stored again is a second copy; a delete
    // removes both.
    b.put("photos", photo(2)).await.unwrap();
    assert_eq!(segment_files(dir.path()).len(), 10);
    b.delete("photos", &hs[2]).await.unwrap();
    assert!(!b.exists("photos", &hs[2]).await.unwrap());
    drop(b);
    let (b, rep) = BlobStore::local_opened_with(dir.path(), LocalLayout::Segments, opts).unwrap();
    assert_eq!(rep.live, 15);
    assert!(matches!(b.get("photos", &hs[2]).await, Err(BlobError::NotFound)));
    assert_eq!(b.get("photos", &hs[3]).await.unwrap(), photo(3));
    // Unbounded again: everything back in memory.
    drop(b);
    let (b, rep) = BlobStore::local_opened(dir.path(), LocalLayout::Segments, 400).unwrap();
    assert_eq!((rep.live, rep.indexed, rep.cold), (15, 15, 0));
    assert_eq!(b.segment_index_len(), 15);
}

#[tokio::test]
async fn delete_is_durable_and_empty_segments_go() {
    let dir = tempfile::tempdir().unwrap();
    // Tiny segments: each photo rolls to a new one.
    let (b, _) = BlobStore::local_opened(dir.path(), LocalLayout::Segments, 100).unwrap();
    let h1 = b.put("photos", Bytes::from(vec![1u8; 80])).await.unwrap();
    let h2 = b.put("photos", Bytes::from(vec![2u8; 80])).await.unwrap();
    let h3 = b.put("photos", Bytes::from(vec![3u8; 80])).await.unwrap();
    assert_eq!(segment_files(dir.path()).len(), 3);
    b.delete("photos", &h1).await.unwrap();
    b.delete("photos", &h1).await.unwrap();
    assert!(!b.exists("photos", &h1).await.unwrap());
    assert!(matches!(b.get("photos", &h1).await, Err(BlobError::NotFound)));
    assert_eq!(segment_files(dir.path()).len(), 2, "the first segment held only the deleted photo");
    // The active segment stays while its writer holds it, even when nothing in it is live.
    b.delete("photos", &h3).await.unwrap();
    assert_eq!(segment_files(dir.path()).len(), 2);
    drop(b);
    let (b, rep) = BlobStore::local_opened(dir.path(), LocalLayout::Segments, 100).unwrap();
    assert_eq!(rep.live, 1, "deleted photos stay deleted after a reopen");
    assert!(!b.exists("photos", &h3).await.unwrap());
    assert_eq!(b.get("photos", &h2).await.unwrap(), vec![2u8; 80]);
    // Deleting after the reopen removes the now unheld, empty segments.
    b.delete("photos", &h2).await.unwrap();
    assert_eq!(segment_files(dir.path()).len(), 1, "only the segment of the deleted, unreopened h3 write");
}

#[tokio::test]
async fn old_file_per_object_data_stays_readable_and_deletable() {
    let dir = tempfile::tempdir().unwrap();
    let old = BlobStore::local_with(dir.path(), LocalLayout::Files).unwrap();
    let h_old = old.put("photos", Bytes::from_static(b"old photo")).await.unwrap();
    old.sync().await.unwrap();
    assert!(dir.path().join("photos").join(&h_old[0..2]).join(&h_old[2..4]).join(&h_old).exists());
    assert!(segment_files(dir.path()).is_empty());
    drop(old);
    let b = open(dir.path());
    let h_new = b.put("photos", Bytes::from_static(b"new photo")).await.unwrap();
    assert_eq!(&b.get("photos", &h_old).await.unwrap()[..], b"old photo");
    assert_eq!(&b.get("photos", &h_new).await.unwrap()[..], b"new photo");
    b.delete("photos", &h_old).await.unwrap();
    assert!(!b.exists("photos", &h_old).await.unwrap());
    // Switching back to files still reads what segments hold.
    drop(b);
    let files = BlobStore::local_with(dir.path(), LocalLayout::Files).unwrap();
    assert_eq!(&files.get("photos", &h_new).await.unwrap()[..], b"new photo");
}

#[derive(Debug, Clone)]
enum Op {
    Put(u8),
    Delete(u8),
    Reopen,
    /// Close, then take a segment's footer off, or cut it part-way (a crash before or while it
    /// was sealed), and reopen.
    Crash {
        seg: u8,
        keep: u8,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..24).prop_map(Op::Put),
        2 => (0u8..24).prop_map(Op::Delete),
        1 => Just(Op::Reopen),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(seg, keep)| Op::Crash { seg, keep }),
    ]
}

/// The content decides the name, so one k always means the same bytes.
fn payload(k: u8) -> Bytes {
    Bytes::from(vec![k; 1 + (k as usize * 131) % 3000])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn acknowledged_puts_survive_and_deletes_stay(
        ops in prop::collection::vec(op(), 1..60),
        cap in 200u64..20_000,
        entries in prop_oneof![Just(usize::MAX), 0usize..6],
    ) {
        let opts = SegmentOptions { max_segment_bytes: cap, max_index_entries: entries, ..Default::default() };
        // A bounded index may keep a second copy of a photo stored again (puts look only in memory).
        let live_ok = |live: usize, model: usize| if entries == usize::MAX { live == model } else { live >= model };
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let mut b = BlobStore::local_opened_with(dir.path(), LocalLayout::Segments, opts).unwrap().0;
            let mut model: BTreeMap<u8, String> = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Put(k) => {
                        let h = b.put("photos", payload(k)).await.unwrap();
                        model.insert(k, h);
                    }
                    Op::Delete(k) => {
                        let h = content_hash(&payload(k));
                        b.delete("photos", &h).await.unwrap();
                        model.remove(&k);
                    }
                    Op::Reopen => {
                        drop(b);
                        b = BlobStore::local_opened_with(dir.path(), LocalLayout::Segments, opts).unwrap().0;
                    }
                    Op::Crash { seg, keep } => {
                        drop(b);
                        let segs = segment_files(dir.path());
                        if !segs.is_empty() {
                            let s = &segs[seg as usize % segs.len()];
                            let keep = footer_len(s).map_or(0, |f| f * keep as u64 / 256);
                            if footer_len(s).is_some() {
                                cut_footer(s, keep);
                            }
                        }
                        let (reopened, rep) = BlobStore::local_opened_with(dir.path(), LocalLayout::Segments, opts).unwrap();
                        assert!(live_ok(rep.live, model.len()), "{rep:?}");
                        b = reopened;
                    }
                }
            }
            drop(b);
            let (b, rep) = BlobStore::local_opened_with(dir.path(), LocalLayout::Segments, opts).unwrap();
            assert_eq!(rep.ignored_bytes, 0);
            assert!(live_ok(rep.live, model.len()), "{rep:?}");
            assert_eq!((rep.from_footers, rep.sealed), (rep.segments, 0), "every segment sealed after a clean close");
            assert!(rep.indexed <= entries, "{rep:?}");
            for k in 0u8..24 {
                let h = content_hash(&payload(k));
                match model.get(&k) {
                    Some(_) => assert_eq!(b.get("photos", &h).await.unwrap(), payload(k)),
                    None => assert!(matches!(b.get("photos", &h).await, Err(BlobError::NotFound))),
                }
            }
            // The export to per-object files holds exactly the live photos.
            let dest = dir.path().join("export");
            let r = BlobStore::export_segments_to_files(dir.path(), &dest).unwrap();
            assert_eq!((r.written, r.unreadable, r.withdrawn), (model.len(), 0, 0), "{r:?}");
            for k in 0u8..24 {
                let h = content_hash(&payload(k));
                let f = dest.join("photos").join(&h[0..2]).join(&h[2..4]).join(&h);
                match model.get(&k) {
                    Some(_) => assert_eq!(std::fs::read(&f).unwrap(), payload(k)),
                    None => assert!(!f.exists(), "deleted photo {k} exported"),
                }
            }
        });
    }
}

//! The segment store on a real directory: durability across reopen, torn tails, deletion,
//! the old one-file-per-object layout, and a property test of random writes/deletes/reopens.

use bytes::Bytes;
use hadir_blob::{BlobError, BlobStore, LocalLayout, content_hash};
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
    let full = std::fs::metadata(&seg).unwrap().len();
    // Power loss mid-append: the second record cut in its payload.
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
    let mut bytes = std::fs::read(&seg).unwrap();
    bytes[48 + 6 + 100] ^= 0xff;
    std::fs::write(&seg, &bytes).unwrap();
    let (b, rep) = BlobStore::local_opened(dir.path(), LocalLayout::Segments, 1 << 20).unwrap();
    assert_eq!((rep.live, rep.ignored_bytes), (0, bytes.len() as u64));
    assert!(matches!(b.get("photos", &h).await, Err(BlobError::NotFound)));
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
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..24).prop_map(Op::Put),
        2 => (0u8..24).prop_map(Op::Delete),
        1 => Just(Op::Reopen),
    ]
}

/// The content decides the name, so one k always means the same bytes.
fn payload(k: u8) -> Bytes {
    Bytes::from(vec![k; 1 + (k as usize * 131) % 3000])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn acknowledged_puts_survive_and_deletes_stay(ops in prop::collection::vec(op(), 1..60), cap in 200u64..20_000) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let mut b = BlobStore::local_opened(dir.path(), LocalLayout::Segments, cap).unwrap().0;
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
                        b = BlobStore::local_opened(dir.path(), LocalLayout::Segments, cap).unwrap().0;
                    }
                }
            }
            drop(b);
            let (b, rep) = BlobStore::local_opened(dir.path(), LocalLayout::Segments, cap).unwrap();
            assert_eq!(rep.ignored_bytes, 0);
            assert_eq!(rep.live, model.len());
            for k in 0u8..24 {
                let h = content_hash(&payload(k));
                match model.get(&k) {
                    Some(_) => assert_eq!(b.get("photos", &h).await.unwrap(), payload(k)),
                    None => assert!(matches!(b.get("photos", &h).await, Err(BlobError::NotFound))),
                }
            }
        });
    }
}

//! `BlobStore::export_segments_to_files`: what segments hold, written as one file per object
//! where the `files` layout keeps it (for `aws s3 sync`), on real directories.

use bytes::Bytes;
use hadir_blob::{BlobError, BlobStore, ExportReport, LocalLayout, SegmentOptions};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn object_file(root: &Path, kind: &str, h: &str) -> PathBuf {
    root.join(kind).join(&h[0..2]).join(&h[2..4]).join(h)
}

/// Every file under `dir`, with its bytes.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn photo(i: u8) -> Bytes {
    Bytes::from(vec![i; 100 + i as usize])
}

#[tokio::test]
async fn live_objects_are_exported_deleted_ones_not_and_a_second_run_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (root, dest) = (dir.path().join("blobs"), dir.path().join("out"));
    // Two photos per segment, at most four objects in memory: most segments are cold, looked
    // up through their footers, and the last one is still being written (no footer).
    let opts = SegmentOptions { max_segment_bytes: 400, max_index_entries: 4, ..Default::default() };
    let (b, _) = BlobStore::local_opened_with(&root, LocalLayout::Segments, opts).unwrap();
    let mut hs = Vec::new();
    for i in 0..15u8 {
        hs.push(b.put("photos", photo(i)).await.unwrap());
    }
    let ev = b.put("evidence", Bytes::from_static(b"%PDF-1.4 surat sakit")).await.unwrap();
    assert!(b.segment_index_len() <= 6);
    for i in [0, 3, 14] {
        b.delete("photos", &hs[i]).await.unwrap();
    }
    let segments_before = tree(&root.join("segments"));

    // While the writer still holds its segment.
    let r = BlobStore::export_segments_to_files(&root, &dest).unwrap();
    assert_eq!((r.written, r.already_present, r.withdrawn, r.unreadable), (13, 0, 0, 0), "{r:?}");
    assert_eq!(
        r.bytes_written,
        (0..15u8).filter(|i| ![0, 3, 14].contains(i)).map(|i| photo(i).len() as u64).sum::<u64>() + 20
    );
    assert_eq!(tree(&root.join("segments")), segments_before, "the segments are not written to");
    assert!(!root.join("photos").exists(), "nothing written next to the segments");

    // Exactly the live objects, byte-identical, where a `files` store looks for them.
    let files = tree(&dest);
    assert_eq!(files.len(), 13, "{:?}", files.keys());
    for (i, h) in hs.iter().enumerate() {
        let f = object_file(&dest, "photos", h);
        if [0, 3, 14].contains(&i) {
            assert!(!f.exists(), "deleted photo {i} exported");
        } else {
            assert_eq!(std::fs::read(&f).unwrap(), photo(i as u8), "photo {i}");
        }
    }
    assert_eq!(std::fs::read(object_file(&dest, "evidence", &ev)).unwrap(), b"%PDF-1.4 surat sakit");
    let over_dest = BlobStore::local_with(&dest, LocalLayout::Files).unwrap();
    assert_eq!(over_dest.get("photos", &hs[7]).await.unwrap(), photo(7));
    assert_eq!(&over_dest.get("evidence", &ev).await.unwrap()[..], b"%PDF-1.4 surat sakit");
    assert!(matches!(over_dest.get("photos", &hs[3]).await, Err(BlobError::NotFound)));

    // Again, after the writer closed (its last segment sealed): nothing new.
    drop(b);
    let r = BlobStore::export_segments_to_files(&root, &dest).unwrap();
    assert_eq!((r.written, r.bytes_written, r.already_present), (0, 0, 13), "{r:?}");
    assert_eq!(tree(&dest), files);

    // A file that lost its bytes is written again; a new photo is added.
    std::fs::write(object_file(&dest, "photos", &hs[5]), b"torn").unwrap();
    let b = BlobStore::local_with(&root, LocalLayout::Segments).unwrap();
    let h_new = b.put("photos", photo(200)).await.unwrap();
    let r = BlobStore::export_segments_to_files(&root, &dest).unwrap();
    assert_eq!((r.written, r.already_present), (2, 12), "{r:?}");
    assert_eq!(std::fs::read(object_file(&dest, "photos", &hs[5])).unwrap(), photo(5));
    assert_eq!(std::fs::read(object_file(&dest, "photos", &h_new)).unwrap(), photo(200));
    assert!(tree(&dest).keys().all(|p| !p.to_string_lossy().ends_with(".export-tmp")));
}

#[tokio::test]
async fn exported_into_the_blob_root_a_purge_removes_both_copies() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("blobs");
    let b = BlobStore::local_with(&root, LocalLayout::Segments).unwrap();
    let keep = b.put("photos", photo(1)).await.unwrap();
    let purge = b.put("photos", photo(2)).await.unwrap();
    let r = BlobStore::export_segments_to_files(&root, &root).unwrap();
    assert_eq!(r.written, 2, "{r:?}");
    assert!(object_file(&root, "photos", &purge).exists());
    // The retention purge through the store.
    b.delete("photos", &purge).await.unwrap();
    assert!(!b.exists("photos", &purge).await.unwrap());
    assert!(!object_file(&root, "photos", &purge).exists(), "the exported copy goes with the record");
    drop(b);
    let files = BlobStore::local_with(&root, LocalLayout::Files).unwrap();
    assert!(matches!(files.get("photos", &purge).await, Err(BlobError::NotFound)));
    assert_eq!(files.get("photos", &keep).await.unwrap(), photo(1));
    // Nothing deleted is exported again.
    let r = BlobStore::export_segments_to_files(&root, &root).unwrap();
    assert_eq!((r.written, r.already_present), (0, 1), "{r:?}");
    assert!(!object_file(&root, "photos", &purge).exists());
}

#[tokio::test]
async fn a_damaged_record_is_reported_not_exported() {
    let dir = tempfile::tempdir().unwrap();
    let (root, dest) = (dir.path().join("blobs"), dir.path().join("out"));
    let b = BlobStore::local_with(&root, LocalLayout::Segments).unwrap();
    let good = b.put("photos", photo(1)).await.unwrap();
    let bad = b.put("photos", photo(2)).await.unwrap();
    drop(b);
    // Flip a payload byte of the second record (sealed: the footer still lists it).
    let seg = root.join("segments").join("000001.seg");
    let mut bytes = std::fs::read(&seg).unwrap();
    let second = 48 + 6 + photo(1).len();
    bytes[second + 48 + 6 + 10] ^= 0xff;
    std::fs::write(&seg, &bytes).unwrap();
    let r = BlobStore::export_segments_to_files(&root, &dest).unwrap();
    assert_eq!(r, ExportReport { segments: 1, written: 1, bytes_written: 101, unreadable: 1, ..Default::default() });
    assert!(object_file(&dest, "photos", &good).exists());
    assert!(!object_file(&dest, "photos", &bad).exists());
}

#[tokio::test]
async fn no_segments_nothing_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let r = BlobStore::export_segments_to_files(dir.path(), &dir.path().join("out")).unwrap();
    assert_eq!(r, ExportReport::default());
    assert!(!dir.path().join("out").exists());
}

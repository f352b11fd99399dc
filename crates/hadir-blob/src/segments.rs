//! The segment store: local photos and evidence appended to segment files instead of one file
//! per object, with one `fdatasync` per batch of concurrent writes (group commit).
//!
//! Layout: `ROOT/segments/000001.seg`, `000002.seg`, … Each store instance that writes opens a
//! new segment (never appends to one written before it started) and rolls to the next one past
//! [`MAX_SEGMENT_BYTES`]. A segment is a sequence of records:
//!
//! ```text
//! 0   4  magic "HSG1"
//! 4   1  state: 1 live, 0 deleted (the only byte ever rewritten in place)
//! 5   1  kind length k (e.g. 6 for "photos")
//! 6   2  zero
//! 8   4  payload length n (u32 LE)
//! 12  4  CRC-32 of bytes 5..12, the hash, the kind and the payload
//! 16  32 SHA-256 of the payload (the object's name)
//! 48  k  kind
//! 48+k n payload
//! ```
//!
//! Sealing: when its writer rolls away from it or closes, a segment gets an index footer after
//! its last record, and nothing is ever appended to it again:
//!
//! ```text
//! kinds    1 byte count, then per kind: 1 byte length, the kind
//! entries  44 bytes per record live when sealed, sorted by (hash, offset):
//!          0 32 hash | 32 1 kind index | 33 1 mark: b'D' deleted, anything else live
//!          34 2 zero | 36 4 record offset | 40 4 record length (header, kind and payload)
//! trailer  "HSGF" | entry count u32 | footer length u32 (kinds to trailer) | CRC-32
//! ```
//!
//! The CRC covers the footer up to its own field with every mark byte taken as zero, because a
//! delete rewrites the mark. A segment without a valid trailer (its writer crashed, a torn seal,
//! or written before footers existed) is scanned whole at open and then sealed, unless a writer
//! still holds it (`flock`). Older code reads a sealed segment fine: the footer does not parse as
//! a record, so its scan ends there.
//!
//! Durability: [`Segments::put`] returns only once an `fdatasync` that started after its record
//! was written has completed. Writers append under a mutex; whoever then finds no sync running
//! starts one covering everything written so far, and the others wait for it (or the next).
//!
//! Index: in memory, rebuilt at open from the footers (one read per segment; the photos are not
//! read) and by scanning unsealed segments (records whose length or CRC do not check out end
//! that segment's scan: a torn last record after a power loss is ignored and logged). 16 bytes
//! per object (an 8-byte key from the hash and kind, an 8-byte location), in a hash table with
//! its spare capacity about 20–40 bytes per object; the rare key collision lives in a small
//! overflow map. Reads check the record's header (hash, kind, state) and CRC, so a footer never
//! makes the store serve bytes the record does not hold.
//!
//! Deletion (retention): the record's state byte is set to 0 and, in a sealed segment, its
//! footer entry's mark to `D` (one `fdatasync` for both); its bytes are freed with
//! `fallocate(PUNCH_HOLE)` where the file system supports it, and a segment with no live record
//! left is removed once no writer holds it. The state byte stays the truth: a mark left live by
//! a crash between the two writes only costs a header read when the object is asked for.

use crate::{BlobError, Result};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::watch;

/// A writer rolls to a new segment past this size (offsets in the index are 32-bit).
pub const MAX_SEGMENT_BYTES: u64 = 1 << 30;
const MAGIC: &[u8; 4] = b"HSG1";
const HEADER: usize = 48;
const LIVE: u8 = 1;
const DEAD: u8 = 0;
const FOOTER_MAGIC: &[u8; 4] = b"HSGF";
const ENTRY: usize = 44;
const TRAILER: usize = 16;
/// A footer entry's mark once its record is deleted (any other value: live, checked on read).
const MARK_DEAD: u8 = b'D';
const MARK_LIVE: u8 = b'L';

fn io(e: std::io::Error) -> BlobError {
    BlobError::Backend(e.to_string())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Loc {
    seg: u32,
    off: u32,
}

impl Loc {
    /// The record's place in the global write order (segment ids only grow).
    fn pos(self) -> u64 {
        ((self.seg as u64) << 32) | self.off as u64
    }
}

fn key(kind: &str, hash: &[u8; 32]) -> u64 {
    let mut k = u64::from_le_bytes(hash[0..8].try_into().expect("8 bytes"));
    for b in kind.bytes() {
        k = k.rotate_left(5) ^ b as u64;
    }
    k
}

#[derive(Default)]
struct Index {
    map: HashMap<u64, Loc>,
    /// Objects whose 8-byte key another object already has.
    overflow: HashMap<(String, [u8; 32]), Vec<Loc>>,
    /// Live records per segment (cold ones included).
    live: HashMap<u32, u32>,
    /// Sealed segments not in `map`, newest first.
    cold: Vec<Arc<Cold>>,
}

struct Active {
    id: u32,
    file: Arc<File>,
    len: u64,
}

#[derive(Default)]
struct Writer {
    active: Option<Active>,
    /// End of the last record written, as a global position (`seg << 32 | offset`).
    written: u64,
    /// Everything before this position is on disk.
    synced: u64,
    syncing: bool,
    /// Segments rolled away from and not yet synced.
    unsynced: Vec<Arc<File>>,
    /// A failed sync: written data may be lost, so no later put is acknowledged.
    failed: Option<String>,
    next_id: u32,
}

pub(crate) struct Segments {
    dir: PathBuf,
    max_bytes: u64,
    max_entries: usize,
    index: RwLock<Index>,
    files: RwLock<HashMap<u32, Arc<File>>>,
    /// Segments with a valid footer (checked at open, or written by this instance).
    sealed: RwLock<HashMap<u32, Sealed>>,
    writer: Mutex<Writer>,
    /// Bumped after every sync attempt; waiters re-check the writer state.
    synced_tx: watch::Sender<u64>,
}

/// What a header says.
struct Header {
    state: u8,
    kind_len: usize,
    len: usize,
    crc: u32,
    hash: [u8; 32],
}

fn parse_header(h: &[u8; HEADER]) -> Option<Header> {
    if &h[0..4] != MAGIC || h[6] != 0 || h[7] != 0 || (h[4] != LIVE && h[4] != DEAD) || h[5] == 0 {
        return None;
    }
    Some(Header {
        state: h[4],
        kind_len: h[5] as usize,
        len: u32::from_le_bytes(h[8..12].try_into().ok()?) as usize,
        crc: u32::from_le_bytes(h[12..16].try_into().ok()?),
        hash: h[16..48].try_into().ok()?,
    })
}

fn checksum(h: &[u8; HEADER], kind: &[u8], payload: &[u8]) -> u32 {
    let mut c = crc32fast::Hasher::new();
    c.update(&h[5..12]);
    c.update(&h[16..48]);
    c.update(kind);
    c.update(payload);
    c.finalize()
}

fn encode(kind: &str, hash: &[u8; 32], payload: &[u8]) -> Vec<u8> {
    let mut h = [0u8; HEADER];
    h[0..4].copy_from_slice(MAGIC);
    h[4] = LIVE;
    h[5] = kind.len() as u8;
    h[8..12].copy_from_slice(&(payload.len() as u32).to_le_bytes());
    h[16..48].copy_from_slice(hash);
    let crc = checksum(&h, kind.as_bytes(), payload);
    h[12..16].copy_from_slice(&crc.to_le_bytes());
    let mut rec = Vec::with_capacity(HEADER + kind.len() + payload.len());
    rec.extend_from_slice(&h);
    rec.extend_from_slice(kind.as_bytes());
    rec.extend_from_slice(payload);
    rec
}

/// One record of a segment, as a footer lists it.
struct Entry {
    hash: [u8; 32],
    kind: String,
    off: u32,
    len: u32,
    live: bool,
}

/// Where a sealed segment's footer entries are (for marking deletes).
#[derive(Clone, Copy)]
struct Sealed {
    entries_at: u64,
    count: u32,
}

/// A footer as read back.
struct Footer {
    entries: Vec<Entry>,
    sealed: Sealed,
    kinds: Vec<String>,
}

/// A sealed segment whose records are not in the in-memory index (past
/// [`SegmentOptions::max_index_entries`]): looked up through its footer.
struct Cold {
    seg: u32,
    sealed: Sealed,
    kinds: Vec<String>,
}

/// Offsets of the records of `kind`/`hash` a cold segment's footer marks live: a binary search
/// by `pread` for the first entry of `hash`, then the (rare) following ones of the same hash.
fn footer_lookup(f: &File, c: &Cold, kind: &str, hash: &[u8; 32]) -> std::io::Result<Vec<u32>> {
    let entry = |i: u64| -> std::io::Result<[u8; ENTRY]> {
        let mut e = [0u8; ENTRY];
        f.read_exact_at(&mut e, c.sealed.entries_at + i * ENTRY as u64)?;
        Ok(e)
    };
    let (mut lo, mut hi) = (0u64, c.sealed.count as u64);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if entry(mid)?[0..32] < hash[..] {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    let mut found = Vec::new();
    for i in lo..c.sealed.count as u64 {
        let e = entry(i)?;
        if e[0..32] != hash[..] {
            break;
        }
        if c.kinds.get(e[32] as usize).is_some_and(|k| k == kind) && e[33] != MARK_DEAD {
            found.push(u32::from_le_bytes([e[36], e[37], e[38], e[39]]));
        }
    }
    Ok(found)
}

/// The CRC of a footer: everything before the CRC field, with the mark bytes (which deletes
/// rewrite) taken as zero.
fn footer_crc(footer: &[u8], kinds_len: usize, count: usize) -> u32 {
    let mut c = crc32fast::Hasher::new();
    c.update(&footer[..kinds_len]);
    for e in footer[kinds_len..kinds_len + count * ENTRY].chunks_exact(ENTRY) {
        c.update(&e[..33]);
        c.update(&[0]);
        c.update(&e[34..]);
    }
    c.update(&footer[kinds_len + count * ENTRY..footer.len() - 4]);
    c.finalize()
}

/// The footer listing `entries`, or `None` when it cannot be written (more than 255 kinds).
fn encode_footer(mut entries: Vec<Entry>) -> Option<Vec<u8>> {
    entries.sort_unstable_by_key(|e| (e.hash, e.off));
    let mut kinds: Vec<&str> = entries.iter().map(|e| e.kind.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    let mut out = vec![u8::try_from(kinds.len()).ok()?];
    for k in &kinds {
        out.push(k.len() as u8);
        out.extend_from_slice(k.as_bytes());
    }
    let kinds_len = out.len();
    for e in &entries {
        out.extend_from_slice(&e.hash);
        out.push(kinds.binary_search(&e.kind.as_str()).ok()? as u8);
        out.push(if e.live { MARK_LIVE } else { MARK_DEAD });
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&e.off.to_le_bytes());
        out.extend_from_slice(&e.len.to_le_bytes());
    }
    out.extend_from_slice(FOOTER_MAGIC);
    out.extend_from_slice(&u32::try_from(entries.len()).ok()?.to_le_bytes());
    out.extend_from_slice(&u32::try_from(out.len() + 8).ok()?.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    let crc = footer_crc(&out, kinds_len, entries.len());
    let n = out.len();
    out[n - 4..].copy_from_slice(&crc.to_le_bytes());
    Some(out)
}

/// Reads and checks the footer of a segment `file_len` bytes long: its entries and where they
/// are, or `None` when there is no valid one (the segment must then be scanned).
fn read_footer(f: &File, file_len: u64) -> std::io::Result<Option<Footer>> {
    if file_len < TRAILER as u64 {
        return Ok(None);
    }
    let mut t = [0u8; TRAILER];
    f.read_exact_at(&mut t, file_len - TRAILER as u64)?;
    let u32_at = |b: &[u8], i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let (count, footer_len) = (u32_at(&t, 4) as u64, u32_at(&t, 8) as u64);
    if &t[0..4] != FOOTER_MAGIC || footer_len > file_len || count * ENTRY as u64 + TRAILER as u64 + 1 > footer_len {
        return Ok(None);
    }
    let start = file_len - footer_len;
    // Every entry stands for a record of at least HEADER + 1 bytes before the footer, and the
    // kinds table is at most 255 kinds of 32 bytes: a damaged trailer cannot ask for more
    // memory than the segment's size.
    let kinds_max = footer_len - TRAILER as u64 - count * ENTRY as u64;
    if count * (HEADER as u64 + 1) > start || kinds_max > 1 + 255 * 33 {
        return Ok(None);
    }
    let mut footer = vec![0u8; footer_len as usize];
    f.read_exact_at(&mut footer, start)?;
    let count = count as usize;
    let kinds_len = footer.len() - TRAILER - count * ENTRY;
    // The kinds table must fill exactly the space before the entries.
    let mut kinds = Vec::new();
    let mut i = 1;
    for _ in 0..footer[0] {
        let n = footer.get(i).copied().unwrap_or(0) as usize;
        let Some(k) = footer.get(i + 1..i + 1 + n).filter(|_| n > 0 && i + 1 + n <= kinds_len) else {
            return Ok(None);
        };
        let Ok(k) = std::str::from_utf8(k) else { return Ok(None) };
        kinds.push(k.to_string());
        i += 1 + n;
    }
    if i != kinds_len || footer_crc(&footer, kinds_len, count) != u32_at(&footer, footer.len() - 4) {
        return Ok(None);
    }
    let mut entries = Vec::with_capacity(count);
    for e in footer[kinds_len..kinds_len + count * ENTRY].chunks_exact(ENTRY) {
        let (off, len) = (u32_at(e, 36), u32_at(e, 40));
        let Some(kind) = kinds.get(e[32] as usize) else { return Ok(None) };
        // A CRC-valid footer that points outside the records is not one this code wrote.
        if (len as usize) < HEADER + kind.len() || off as u64 + len as u64 > start {
            return Ok(None);
        }
        let hash: [u8; 32] = e[0..32].try_into().expect("32 bytes");
        entries.push(Entry { hash, kind: kind.clone(), off, len, live: e[33] != MARK_DEAD });
    }
    let sealed = Sealed { entries_at: start + kinds_len as u64, count: count as u32 };
    Ok(Some(Footer { entries, sealed, kinds }))
}

/// The position of the footer mark of the record at `off` holding `hash` (a binary search over
/// the sorted entries, by `pread`).
fn footer_mark_pos(f: &File, s: Sealed, hash: &[u8; 32], off: u32) -> std::io::Result<Option<u64>> {
    let (mut lo, mut hi) = (0u64, s.count as u64);
    let mut e = [0u8; ENTRY];
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let at = s.entries_at + mid * ENTRY as u64;
        f.read_exact_at(&mut e, at)?;
        let e_off = u32::from_le_bytes([e[36], e[37], e[38], e[39]]);
        match (&e[0..32], e_off).cmp(&(&hash[..], off)) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return Ok(Some(at + 33)),
        }
    }
    Ok(None)
}

/// Lists the live records of a segment its own writer wrote, reading headers only (`end` is
/// where its writer stopped). `None` when the headers do not
/// lead exactly to `end`: the segment is then left unsealed, to be scanned.
fn walk_headers(f: &File, end: u64) -> std::io::Result<Option<Vec<Entry>>> {
    let mut entries = Vec::new();
    let mut off = 0u64;
    let mut h = [0u8; HEADER + 32];
    while off < end {
        let n = (end - off).min(h.len() as u64) as usize;
        if n < HEADER || off > u32::MAX as u64 {
            return Ok(None);
        }
        f.read_exact_at(&mut h[..n], off)?;
        let Some(hd) = parse_header(h[..HEADER].try_into().expect("header")) else { return Ok(None) };
        let total = (HEADER + hd.kind_len + hd.len) as u64;
        let Some(kind) = h.get(HEADER..HEADER + hd.kind_len).filter(|_| HEADER + hd.kind_len <= n) else {
            return Ok(None);
        };
        let Ok(len) = u32::try_from(total) else { return Ok(None) };
        // Deleted records stay out of the footer (their kind bytes may be freed already).
        if hd.state == LIVE {
            let Ok(kind) = std::str::from_utf8(kind) else { return Ok(None) };
            entries.push(Entry { hash: hd.hash, kind: kind.to_string(), off: off as u32, len, live: true });
        }
        off += total;
    }
    Ok((off == end).then_some(entries))
}

/// Appends the footer of `entries` at `end` (the end of the file). `None` when none could be
/// encoded.
fn write_footer(f: &File, end: u64, entries: Vec<Entry>) -> std::io::Result<Option<Sealed>> {
    let count = entries.len() as u32;
    let Some(footer) = encode_footer(entries) else { return Ok(None) };
    f.write_all_at(&footer, end)?;
    let entries_at = end + footer.len() as u64 - TRAILER as u64 - count as u64 * ENTRY as u64;
    Ok(Some(Sealed { entries_at, count }))
}

fn seg_path(dir: &Path, id: u32) -> PathBuf {
    dir.join(format!("{id:06}.seg"))
}

fn segment_ids(dir: &Path) -> Result<Vec<u32>> {
    let mut ids = Vec::new();
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ids),
        Err(e) => return Err(io(e)),
    };
    for e in rd {
        let name = e.map_err(io)?.file_name();
        if let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".seg")).and_then(|n| n.parse::<u32>().ok()) {
            ids.push(id);
        }
    }
    ids.sort_unstable();
    Ok(ids)
}

/// The live records found in one segment, and where the valid records end.
type Scanned = (Vec<Entry>, u64);

fn scan_segment(path: &Path) -> std::io::Result<Scanned> {
    let f = File::open(path)?;
    let file_len = f.metadata()?.len();
    let mut r = BufReader::with_capacity(1 << 20, f);
    let mut found = Vec::new();
    let mut off = 0u64;
    let mut payload = Vec::new();
    loop {
        if off == file_len {
            return Ok((found, off));
        }
        let mut h = [0u8; HEADER];
        let Some(hd) =
            (off + HEADER as u64 <= file_len).then(|| r.read_exact(&mut h)).transpose()?.and_then(|_| parse_header(&h))
        else {
            return Ok((found, off));
        };
        let total = (HEADER + hd.kind_len + hd.len) as u64;
        if off + total > file_len || off > u32::MAX as u64 || total > u32::MAX as u64 {
            return Ok((found, off));
        }
        if hd.state == DEAD {
            // Its delete may have freed its kind and payload (zeros): the checksum cannot hold,
            // and stopping here would hide every later record of the segment.
            r.seek_relative(total as i64 - HEADER as i64)?;
            off += total;
            continue;
        }
        let mut kind = vec![0u8; hd.kind_len];
        r.read_exact(&mut kind)?;
        payload.resize(hd.len, 0);
        r.read_exact(&mut payload)?;
        if checksum(&h, &kind, &payload) != hd.crc {
            return Ok((found, off));
        }
        // A kind that is not UTF-8 was never written by `put`: unreachable, left out.
        if let Ok(kind) = String::from_utf8(kind) {
            found.push(Entry { hash: hd.hash, kind, off: off as u32, len: total as u32, live: true });
        }
        off += total;
    }
}

fn lock_exclusive(f: &File, wait: bool) -> bool {
    use std::os::fd::AsRawFd;
    let op = if wait { libc::LOCK_EX } else { libc::LOCK_EX | libc::LOCK_NB };
    // SAFETY: flock only reads the descriptor, which stays open for the call.
    unsafe { libc::flock(f.as_raw_fd(), op) == 0 }
}

fn unlock(f: &File) {
    use std::os::fd::AsRawFd;
    // SAFETY: as above.
    unsafe {
        libc::flock(f.as_raw_fd(), libc::LOCK_UN);
    }
}

/// Frees a deleted record's bytes where the file system can (the file keeps its size).
fn punch_hole(f: &File, off: u64, len: u64) {
    use std::os::fd::AsRawFd;
    // SAFETY: fallocate only reads the descriptor; failure (e.g. EOPNOTSUPP) is harmless.
    unsafe {
        libc::fallocate(
            f.as_raw_fd(),
            libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
            off as libc::off_t,
            len as libc::off_t,
        );
    }
}

/// What an open found: segments, live records, ignored bytes (torn tails), and how the
/// segments were indexed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct OpenReport {
    pub segments: usize,
    pub live: usize,
    pub ignored_bytes: u64,
    /// Segments indexed from their footer alone (their records were not read).
    pub from_footers: usize,
    /// Segments scanned whole and then sealed by this open (crashed writers, older code).
    pub sealed: usize,
    /// Sealed segments left out of the in-memory index (looked up through their footers).
    pub cold: usize,
    /// Live records in the in-memory index (`live` counts the cold segments' too).
    pub indexed: usize,
}

/// How a segment store opens (tests and measurements; the server uses the defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentOptions {
    /// A writer rolls to a new segment past this size (capped at [`MAX_SEGMENT_BYTES`]).
    pub max_segment_bytes: u64,
    /// Index sealed segments from their footers and seal unsealed ones (the default). `false`
    /// scans every segment whole and seals nothing at open, as before footers existed: for
    /// measuring only, since such an instance's deletes do not mark the footers (the next
    /// open would count those records live until they are asked for).
    pub use_footers: bool,
    /// At most this many objects in the in-memory index (~20–40 bytes each), newest segments
    /// first; older sealed segments are looked up through their footers (a binary search by
    /// `pread` per segment). A put checks only the in-memory index for a copy already stored,
    /// so a photo stored again after years may be kept twice (a delete removes every copy).
    /// The index may exceed it by the segments not sealed yet. Default: unbounded.
    pub max_index_entries: usize,
}

impl Default for SegmentOptions {
    fn default() -> Self {
        SegmentOptions { max_segment_bytes: MAX_SEGMENT_BYTES, use_footers: true, max_index_entries: usize::MAX }
    }
}

/// Opens a segment for indexing (and sealing, when nobody writes it): read-write when allowed,
/// with whether this open holds its lock.
fn open_for_index(path: &Path) -> std::io::Result<(File, bool)> {
    match OpenOptions::new().read(true).write(true).open(path) {
        Ok(f) => {
            let idle = lock_exclusive(&f, false);
            Ok((f, idle))
        }
        // A read-only data directory (e.g. a backup being checked): index, never seal.
        Err(e) if matches!(e.kind(), std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem) => {
            Ok((File::open(path)?, false))
        }
        Err(e) => Err(e),
    }
}

impl Segments {
    /// Opens (and indexes) the segments under `root/segments`; creates nothing until a write
    /// but the footers of segments no writer holds any more.
    pub(crate) fn open(root: &Path, opts: SegmentOptions) -> Result<(Segments, OpenReport)> {
        let dir = root.join("segments");
        let ids = segment_ids(&dir)?;
        let mut index = Index::default();
        let mut sealed = HashMap::new();
        let mut report = OpenReport { segments: ids.len(), ..Default::default() };
        for &id in ids.iter().rev() {
            let path = seg_path(&dir, id);
            // Locked (when nobody writes it) before anything is read, so that no writer can
            // seal it between this open's scan and its own seal.
            let (f, idle) = open_for_index(&path).map_err(io)?;
            let len = f.metadata().map_err(io)?.len();
            let footer = if opts.use_footers { read_footer(&f, len).map_err(io)? } else { None };
            let scanned = footer.is_none();
            let entries = match footer {
                Some(ft) => {
                    report.from_footers += 1;
                    sealed.insert(id, ft.sealed);
                    // Newest first: once a segment does not fit in the index, it and every older
                    // sealed one are looked up through their footers.
                    let live = ft.entries.iter().filter(|e| e.live).count();
                    if report.cold > 0 || index.len() + live > opts.max_index_entries {
                        report.cold += 1;
                        index.add_cold(Cold { seg: id, sealed: ft.sealed, kinds: ft.kinds }, live as u32);
                        Vec::new()
                    } else {
                        ft.entries
                    }
                }
                None => {
                    let (entries, end) = scan_segment(&path).map_err(io)?;
                    if end < len {
                        tracing::warn!(segment = %path.display(), valid_bytes = end, ignored_bytes = len - end,
                            "segment ends in an incomplete or damaged record (a write cut short); ignoring the rest");
                        report.ignored_bytes += len - end;
                    }
                    entries
                }
            };
            for e in entries.iter().filter(|e| e.live) {
                index.insert(&e.kind, &e.hash, Loc { seg: id, off: e.off });
            }
            // Nobody writes it any more: seal it so the next open reads only the footer. The
            // footer goes after any ignored bytes, which stay as they are.
            if scanned && opts.use_footers && idle && len > 0 {
                match write_footer(&f, len, entries) {
                    Ok(Some(s)) => {
                        report.sealed += 1;
                        sealed.insert(id, s);
                    }
                    Ok(None) => {}
                    Err(e) => tracing::warn!(segment = %path.display(), error = %e, "could not seal segment"),
                }
            }
            // A process killed before its sync leaves records (or a footer) only in the page
            // cache: make what this open will serve durable (cheap for a segment already clean).
            f.sync_data().map_err(io)?;
        }
        report.indexed = index.len();
        report.live = index.live.values().map(|&n| n as usize).sum();
        let next_id = ids.last().map_or(1, |l| l + 1);
        let (synced_tx, _) = watch::channel(0);
        let s = Segments {
            dir,
            max_bytes: opts.max_segment_bytes.min(MAX_SEGMENT_BYTES),
            max_entries: opts.max_index_entries,
            index: RwLock::new(index),
            files: RwLock::new(HashMap::new()),
            sealed: RwLock::new(sealed),
            // Everything found at open is before any position this instance writes, and synced.
            writer: Mutex::new(Writer {
                next_id,
                written: (next_id as u64) << 32,
                synced: (next_id as u64) << 32,
                ..Default::default()
            }),
            synced_tx,
        };
        Ok((s, report))
    }

    /// Seals the segment this instance wrote up to `end` (rolled away from or closing). Failure
    /// only costs a scan at the next open.
    fn seal_own(&self, id: u32, file: &File, end: u64) {
        let r = walk_headers(file, end).and_then(|entries| match entries {
            Some(entries) => write_footer(file, end, entries),
            None => Ok(None),
        });
        match r {
            Ok(Some(s)) => {
                self.sealed.write().expect("sealed lock").insert(id, s);
            }
            Ok(None) => tracing::warn!(segment = id, "segment left unsealed: its records do not read back"),
            Err(e) => tracing::warn!(segment = id, error = %e, "could not seal segment"),
        }
    }

    fn file(&self, seg: u32) -> std::io::Result<Arc<File>> {
        if let Some(f) = self.files.read().expect("files lock").get(&seg) {
            return Ok(f.clone());
        }
        let f = Arc::new(File::open(seg_path(&self.dir, seg))?);
        self.files.write().expect("files lock").insert(seg, f.clone());
        Ok(f)
    }

    /// Where records of `kind`/`hash` may be: the in-memory index, then (with `cold`) the
    /// footers of the segments left out of it.
    fn candidates(&self, kind: &str, hash: &[u8; 32], cold: bool) -> Result<Vec<Loc>> {
        // One look at the index and the cold list, so an eviction cannot hide a record between.
        let (mut v, colds) = {
            let ix = self.index.read().expect("index lock");
            let mut v: Vec<Loc> = ix.map.get(&key(kind, hash)).copied().into_iter().collect();
            v.extend(ix.overflow.get(&(kind.to_string(), *hash)).into_iter().flatten().copied());
            (v, if cold { ix.cold.clone() } else { Vec::new() })
        };
        for c in colds {
            let f = match self.file(c.seg) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io(e)),
            };
            v.extend(footer_lookup(&f, &c, kind, hash).map_err(io)?.into_iter().map(|off| Loc { seg: c.seg, off }));
        }
        Ok(v)
    }

    /// Moves the oldest sealed segments out of the in-memory index while it holds more than
    /// `max_entries` (after a roll; the segment being written stays).
    fn evict(&self, writing: u32) {
        loop {
            let seg = {
                let ix = self.index.read().expect("index lock");
                if ix.len() <= self.max_entries {
                    return;
                }
                let sealed = self.sealed.read().expect("sealed lock");
                let hot = ix.live.keys().filter(|s| **s != writing && sealed.contains_key(s));
                match hot.filter(|s| !ix.cold.iter().any(|c| c.seg == **s)).min() {
                    Some(&s) => s,
                    None => return,
                }
            };
            let footer = self.file(seg).and_then(|f| {
                let len = f.metadata()?.len();
                read_footer(&f, len)
            });
            let ft = match footer {
                Ok(Some(ft)) => ft,
                Ok(None) => return tracing::warn!(segment = seg, "sealed segment lost its footer; kept in memory"),
                Err(e) => return tracing::warn!(segment = seg, error = %e, "could not read a footer; kept in memory"),
            };
            let mut ix = self.index.write().expect("index lock");
            for e in ft.entries.iter().filter(|e| e.live) {
                ix.forget(&e.kind, &e.hash, Loc { seg, off: e.off });
            }
            ix.cold.push(Arc::new(Cold { seg, sealed: ft.sealed, kinds: ft.kinds }));
            ix.cold.sort_unstable_by_key(|c| std::cmp::Reverse(c.seg));
        }
    }

    /// Reads and checks the record at `loc`: its bytes if it is live and holds `kind`/`hash`.
    fn read_at(&self, loc: Loc, kind: &str, hash: &[u8; 32], with_payload: bool) -> Result<Option<Vec<u8>>> {
        let f = match self.file(loc.seg) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(e)),
        };
        let mut h = [0u8; HEADER];
        f.read_exact_at(&mut h, loc.off as u64).map_err(io)?;
        let Some(hd) = parse_header(&h) else {
            return Err(BlobError::Backend(format!("segment {} offset {}: bad record header", loc.seg, loc.off)));
        };
        if hd.hash != *hash || hd.kind_len != kind.len() || hd.state != LIVE {
            return Ok(None);
        }
        let mut rest = vec![0u8; hd.kind_len + if with_payload { hd.len } else { 0 }];
        f.read_exact_at(&mut rest, loc.off as u64 + HEADER as u64).map_err(io)?;
        if &rest[..hd.kind_len] != kind.as_bytes() {
            return Ok(None);
        }
        if !with_payload {
            return Ok(Some(Vec::new()));
        }
        let payload = rest.split_off(hd.kind_len);
        if checksum(&h, kind.as_bytes(), &payload) != hd.crc {
            return Err(BlobError::Backend(format!("segment {} offset {}: checksum mismatch", loc.seg, loc.off)));
        }
        Ok(Some(payload))
    }

    /// Where a live record of `kind`/`hash` is.
    fn find(&self, kind: &str, hash: &[u8; 32], cold: bool) -> Result<Option<Loc>> {
        for loc in self.candidates(kind, hash, cold)? {
            if self.read_at(loc, kind, hash, false)?.is_some() {
                return Ok(Some(loc));
            }
        }
        Ok(None)
    }

    pub(crate) fn get(&self, kind: &str, hash: &[u8; 32]) -> Result<Option<Vec<u8>>> {
        for loc in self.candidates(kind, hash, true)? {
            if let Some(b) = self.read_at(loc, kind, hash, true)? {
                return Ok(Some(b));
            }
        }
        Ok(None)
    }

    /// Objects in the in-memory index (cold segments' not counted).
    pub(crate) fn indexed(&self) -> usize {
        self.index.read().expect("index lock").len()
    }

    pub(crate) fn exists(&self, kind: &str, hash: &[u8; 32]) -> Result<bool> {
        Ok(self.find(kind, hash, true)?.is_some())
    }

    /// Appends the object (unless a live copy exists) and returns once it is durable.
    pub(crate) async fn put(self: &Arc<Self>, kind: &str, hash: &[u8; 32], payload: &[u8]) -> Result<()> {
        if kind.is_empty() || kind.len() > 32 || payload.len() > (u32::MAX as usize) / 2 {
            return Err(BlobError::BadName);
        }
        let pos = {
            let mut w = self.writer.lock().expect("writer lock");
            if let Some(e) = &w.failed {
                return Err(BlobError::Backend(format!("an earlier segment sync failed: {e}")));
            }
            // Under the writer lock, so two puts of the same bytes never both append. Only the
            // in-memory index: searching every cold footer would cost each new photo a few
            // reads per segment.
            if let Some(loc) = self.find(kind, hash, false)? {
                loc.pos() + 1
            } else {
                let rec = encode(kind, hash, payload);
                let loc = self.append(&mut w, &rec)?;
                self.index.write().expect("index lock").insert(kind, hash, loc);
                w.written
            }
        };
        self.wait_durable(pos).await
    }

    /// Writes `rec` at the end of the active segment (rolling or opening one as needed).
    fn append(&self, w: &mut Writer, rec: &[u8]) -> Result<Loc> {
        let roll = w.active.as_ref().is_none_or(|a| a.len > 0 && a.len + rec.len() as u64 > self.max_bytes);
        if roll {
            std::fs::create_dir_all(&self.dir).map_err(io)?;
            let (id, file) = loop {
                let id = w.next_id;
                w.next_id += 1;
                match OpenOptions::new().read(true).append(true).create_new(true).open(seg_path(&self.dir, id)) {
                    Ok(f) => {
                        // The writer holds its segment locked, so a deleter never removes it and
                        // an open never seals it under it. Still empty once locked, or another
                        // process got to it first.
                        lock_exclusive(&f, true);
                        if f.metadata().map_err(io)?.len() == 0 {
                            break (id, f);
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                    Err(e) => return Err(io(e)),
                }
            };
            File::open(&self.dir).and_then(|d| d.sync_all()).map_err(io)?;
            let file = Arc::new(file);
            if let Some(old) = w.active.take() {
                // Nothing more is appended to it: its footer goes on now (synced with the next
                // batch), then deleters may remove it once nothing is live.
                self.seal_own(old.id, &old.file, old.len);
                unlock(&old.file);
                w.unsynced.push(old.file);
                self.evict(id);
            }
            self.files.write().expect("files lock").insert(id, file.clone());
            w.active = Some(Active { id, file, len: 0 });
            w.written = (id as u64) << 32;
        }
        let a = w.active.as_mut().expect("active segment");
        let loc = Loc { seg: a.id, off: a.len as u32 };
        if let Err(e) = a.file.write_all_at(rec, a.len) {
            // A partial append would leave a torn record before the next one: stop using this file.
            w.active = None;
            return Err(io(e));
        }
        a.len += rec.len() as u64;
        w.written = ((a.id as u64) << 32) | a.len;
        Ok(loc)
    }

    /// Waits until everything before `pos` is synced, starting a sync when none is running.
    async fn wait_durable(self: &Arc<Self>, pos: u64) -> Result<()> {
        let mut rx = self.synced_tx.subscribe();
        loop {
            {
                let mut w = self.writer.lock().expect("writer lock");
                if w.synced >= pos {
                    return Ok(());
                }
                if let Some(e) = &w.failed {
                    return Err(BlobError::Backend(format!("segment sync failed: {e}")));
                }
                if !w.syncing {
                    w.syncing = true;
                    let target = w.written;
                    let mut files = std::mem::take(&mut w.unsynced);
                    files.extend(w.active.as_ref().map(|a| a.file.clone()));
                    // Its own task, so a caller that goes away cannot leave `syncing` set.
                    let me = self.clone();
                    tokio::spawn(async move {
                        let r = tokio::task::spawn_blocking(move || files.iter().try_for_each(|f| f.sync_data()))
                            .await
                            .map_err(|e| e.to_string())
                            .and_then(|r| r.map_err(|e| e.to_string()));
                        {
                            let mut w = me.writer.lock().expect("writer lock");
                            w.syncing = false;
                            match r {
                                Ok(()) => w.synced = w.synced.max(target),
                                Err(e) => {
                                    tracing::error!(error = %e, "segment fdatasync failed; refusing further photo writes");
                                    w.failed = Some(e);
                                }
                            }
                        }
                        me.synced_tx.send_modify(|n| *n += 1);
                    });
                }
            }
            let _ = rx.changed().await;
        }
    }

    /// Marks the live record of `kind`/`hash` deleted (synced), frees its bytes, and removes its
    /// segment once nothing in it is live. Missing objects are not an error.
    /// A listed location of `kind`/`hash` whose record is deleted.
    fn stale(&self, kind: &str, hash: &[u8; 32]) -> Result<Option<Loc>> {
        for loc in self.candidates(kind, hash, true)? {
            let f = match self.file(loc.seg) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io(e)),
            };
            let mut h = [0u8; HEADER];
            f.read_exact_at(&mut h, loc.off as u64).map_err(io)?;
            // The kind bytes may be freed already: the hash and the kind's length must do.
            if parse_header(&h).is_some_and(|hd| hd.state == DEAD && hd.hash == *hash && hd.kind_len == kind.len()) {
                return Ok(Some(loc));
            }
        }
        Ok(None)
    }

    pub(crate) fn delete(&self, kind: &str, hash: &[u8; 32]) -> Result<bool> {
        let w = self.writer.lock().expect("writer lock");
        let mut any = false;
        loop {
            let loc = match self.find(kind, hash, true)? {
                Some(loc) => {
                    any = true;
                    loc
                }
                // Then the copies still listed although deleted (a crash between a delete's two
                // writes, or another process's delete), so that their segment's live count is
                // right and it can go: a purge run again repairs what a crash left.
                None => match self.stale(kind, hash)? {
                    Some(loc) => loc,
                    None => break,
                },
            };
            let f = OpenOptions::new().read(true).write(true).open(seg_path(&self.dir, loc.seg)).map_err(io)?;
            f.write_all_at(&[DEAD], loc.off as u64 + 4).map_err(io)?;
            // A sealed segment's footer says so too, or the next open would index it again.
            let footer = self.sealed.read().expect("sealed lock").get(&loc.seg).copied();
            if let Some(s) = footer
                && let Some(mark) = footer_mark_pos(&f, s, hash, loc.off).map_err(io)?
            {
                f.write_all_at(&[MARK_DEAD], mark).map_err(io)?;
            }
            f.sync_data().map_err(io)?;
            let len = {
                let mut h = [0u8; HEADER];
                f.read_exact_at(&mut h, loc.off as u64).ok();
                parse_header(&h).map_or(0, |hd| hd.kind_len + hd.len)
            };
            punch_hole(&f, loc.off as u64 + HEADER as u64, len as u64);
            let empty = self.index.write().expect("index lock").remove(kind, hash, loc);
            let writing = w.active.as_ref().is_some_and(|a| a.id == loc.seg);
            if empty && !writing && lock_exclusive(&f, false) {
                // Nobody appends to it and nothing in it is live.
                std::fs::remove_file(seg_path(&self.dir, loc.seg)).map_err(io)?;
                self.files.write().expect("files lock").remove(&loc.seg);
                self.sealed.write().expect("sealed lock").remove(&loc.seg);
                self.index.write().expect("index lock").cold.retain(|c| c.seg != loc.seg);
                File::open(&self.dir).and_then(|d| d.sync_all()).map_err(io)?;
            }
        }
        Ok(any)
    }
}

impl Drop for Segments {
    /// Seals the segment being written, so the next open reads its footer instead of its
    /// records. Nothing else holds this instance, so nothing appends meanwhile; after a failed
    /// sync nothing is sealed (what the segment holds is unknown: the next open scans it).
    fn drop(&mut self) {
        let w = self.writer.get_mut().unwrap_or_else(|p| p.into_inner());
        if w.failed.is_some() {
            return;
        }
        let (mut files, active) = (std::mem::take(&mut w.unsynced), w.active.take());
        if let Some(a) = active {
            if a.len > 0 {
                self.seal_own(a.id, &a.file, a.len);
            }
            files.push(a.file);
        }
        for f in files {
            if let Err(e) = f.sync_data() {
                tracing::warn!(error = %e, "segment sync at close failed");
            }
        }
    }
}

impl Index {
    /// Adds a live record. A key already taken (by another object, or by another copy of this
    /// one written by a second store instance) sends the record to the overflow map, so every
    /// live copy stays reachable and a delete finds them all.
    fn insert(&mut self, kind: &str, hash: &[u8; 32], loc: Loc) {
        match self.map.entry(key(kind, hash)) {
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(loc);
            }
            std::collections::hash_map::Entry::Occupied(_) => {
                self.overflow.entry((kind.to_string(), *hash)).or_default().push(loc);
            }
        }
        *self.live.entry(loc.seg).or_default() += 1;
    }

    fn len(&self) -> usize {
        self.map.len() + self.overflow.values().map(Vec::len).sum::<usize>()
    }

    /// A sealed segment with `live` records, left out of the map (segments come newest first).
    fn add_cold(&mut self, c: Cold, live: u32) {
        if live > 0 {
            self.live.insert(c.seg, live);
        }
        self.cold.push(Arc::new(c));
    }

    /// Takes `loc` out of the map (its segment goes cold; its live count stays).
    fn forget(&mut self, kind: &str, hash: &[u8; 32], loc: Loc) {
        let k = key(kind, hash);
        if self.map.get(&k) == Some(&loc) {
            self.map.remove(&k);
        } else if let Some(v) = self.overflow.get_mut(&(kind.to_string(), *hash)) {
            v.retain(|l| *l != loc);
            if v.is_empty() {
                self.overflow.remove(&(kind.to_string(), *hash));
            }
        }
    }

    /// Forgets `loc` (deleted); true when its segment has no live record left.
    fn remove(&mut self, kind: &str, hash: &[u8; 32], loc: Loc) -> bool {
        self.forget(kind, hash, loc);
        let n = self.live.entry(loc.seg).or_default();
        *n = n.saturating_sub(1);
        if *n == 0 {
            self.live.remove(&loc.seg);
            return true;
        }
        false
    }
}

/// What [`export_to_files`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ExportReport {
    /// Segments read.
    pub segments: usize,
    /// Live objects written as files (new, or replacing a file that held other bytes).
    pub written: usize,
    pub bytes_written: u64,
    /// Live objects whose file already held the same bytes (an earlier export, or a second
    /// copy in another segment).
    pub already_present: usize,
    /// Objects deleted (retention) while the export ran: their file was taken away again.
    pub withdrawn: usize,
    /// Records that did not read back (checksum or name mismatch): logged, not exported.
    pub unreadable: usize,
}

/// A batch of files written under temporary names, renamed once their bytes are durable.
const EXPORT_BATCH_FILES: usize = 1024;
const EXPORT_BATCH_BYTES: u64 = 256 << 20;

/// One exported file waiting for its rename: the record it came from, to check after the
/// rename that it was not deleted meanwhile.
struct Pending {
    tmp: PathBuf,
    path: PathBuf,
    seg: Arc<File>,
    off: u32,
    len: u64,
}

/// What a record holds, read without the index.
enum Record {
    Live { kind: String, hash: [u8; 32], payload: Vec<u8> },
    Dead,
    Unreadable(String),
}

/// Reads the `len`-byte record at `off` and checks it (state, lengths, CRC, name).
fn read_record(f: &File, off: u32, len: u32) -> std::io::Result<Record> {
    let mut buf = vec![0u8; len as usize];
    if let Err(e) = f.read_exact_at(&mut buf, off as u64) {
        return Ok(Record::Unreadable(e.to_string()));
    }
    let Some(h) = buf.get(..HEADER).and_then(|h| <&[u8; HEADER]>::try_from(h).ok()) else {
        return Ok(Record::Unreadable("short record".into()));
    };
    let Some(hd) = parse_header(h) else { return Ok(Record::Unreadable("bad record header".into())) };
    if hd.state != LIVE {
        return Ok(Record::Dead);
    }
    if HEADER + hd.kind_len + hd.len != buf.len() {
        return Ok(Record::Unreadable("record length differs from its index entry".into()));
    }
    let (kind, payload) = buf[HEADER..].split_at(hd.kind_len);
    if checksum(h, kind, payload) != hd.crc {
        // A delete running meanwhile frees the payload after marking the record: look again.
        let mut state = [0u8; 1];
        f.read_exact_at(&mut state, off as u64 + 4)?;
        if state[0] != LIVE {
            return Ok(Record::Dead);
        }
        return Ok(Record::Unreadable("checksum mismatch".into()));
    }
    let Ok(kind) = std::str::from_utf8(kind) else { return Ok(Record::Unreadable("kind not UTF-8".into())) };
    if crate::content_hash(payload) != hex::encode(hd.hash) {
        return Ok(Record::Unreadable("content does not match its name".into()));
    }
    Ok(Record::Live { kind: kind.to_string(), hash: hd.hash, payload: payload.to_vec() })
}

/// Writes every live object of the segments under `root` as a file under `dest`, where the
/// `files` layout keeps it (`kind/ab/cd/abcd…`), so that per-object tools (`aws s3 sync`)
/// can copy them. Read-only on the segments: no lock, no seal, no write, so it may run beside a
/// server (what that server appends meanwhile is left for the next run). Files already holding
/// the same bytes are left alone; new ones are written under a temporary name, made durable
/// (one `syncfs` per batch), then renamed. A record deleted while the export ran has its file
/// taken away again after the rename: a retention purge that marks the record first and
/// removes the file second never leaves an exported copy behind.
pub(crate) fn export_to_files(root: &Path, dest: &Path) -> Result<ExportReport> {
    let dir = root.join("segments");
    let mut report = ExportReport::default();
    let mut batch: Vec<Pending> = Vec::new();
    let mut batch_paths = std::collections::HashSet::new();
    let mut batch_bytes = 0u64;
    for id in segment_ids(&dir)? {
        let path = seg_path(&dir, id);
        let f = match File::open(&path) {
            Ok(f) => Arc::new(f),
            // Emptied and removed by a running server's purge.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io(e)),
        };
        report.segments += 1;
        let len = f.metadata().map_err(io)?.len();
        let mut entries: Vec<(u32, u32)> = match read_footer(&f, len).map_err(io)? {
            Some(ft) => ft.entries.iter().filter(|e| e.live).map(|e| (e.off, e.len)).collect(),
            // Being written, or its writer crashed: its valid records (a torn tail ends them).
            None => scan_segment(&path).map_err(io)?.0.iter().map(|e| (e.off, e.len)).collect(),
        };
        entries.sort_unstable();
        for (off, rec_len) in entries {
            let (kind, hash, payload) = match read_record(&f, off, rec_len).map_err(io)? {
                Record::Live { kind, hash, payload } => (kind, hash, payload),
                Record::Dead => continue,
                Record::Unreadable(why) => {
                    tracing::warn!(segment = id, offset = off, why, "segment record not exported");
                    report.unreadable += 1;
                    continue;
                }
            };
            let hex = hex::encode(hash);
            let Ok(rel) = crate::object_path(&kind, &hex) else {
                tracing::warn!(segment = id, offset = off, kind, "segment record with an invalid name not exported");
                report.unreadable += 1;
                continue;
            };
            let file = rel.parts().fold(dest.to_path_buf(), |p, part| p.join(part.as_ref()));
            if batch_paths.contains(&file) {
                report.already_present += 1;
                continue;
            }
            match std::fs::read(&file) {
                Ok(existing) if existing == payload => {
                    report.already_present += 1;
                    continue;
                }
                Ok(_) => tracing::warn!(file = %file.display(), "file differs from its name; replacing it"),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(e)),
            }
            let parent = file.parent().expect("an object file has a parent");
            std::fs::create_dir_all(parent).map_err(io)?;
            // A temporary left by an interrupted export is overwritten here on the next run.
            let tmp = parent.join(format!("{hex}.export-tmp"));
            std::fs::write(&tmp, &payload).map_err(io)?;
            batch_bytes += payload.len() as u64;
            batch_paths.insert(file.clone());
            batch.push(Pending { tmp, path: file, seg: f.clone(), off, len: payload.len() as u64 });
            if batch.len() >= EXPORT_BATCH_FILES || batch_bytes >= EXPORT_BATCH_BYTES {
                finish_batch(dest, &mut batch, &mut report)?;
                batch_paths.clear();
                batch_bytes = 0;
            }
        }
    }
    finish_batch(dest, &mut batch, &mut report)?;
    Ok(report)
}

/// Makes the batch's bytes durable, renames the files into place, takes away those whose
/// record was deleted meanwhile, and makes that durable.
fn finish_batch(dest: &Path, batch: &mut Vec<Pending>, report: &mut ExportReport) -> Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    crate::sync_filesystem(dest)?;
    for p in batch.drain(..) {
        std::fs::rename(&p.tmp, &p.path).map_err(io)?;
        let mut state = [0u8; 1];
        p.seg.read_exact_at(&mut state, p.off as u64 + 4).map_err(io)?;
        if state[0] == LIVE {
            report.written += 1;
            report.bytes_written += p.len;
        } else {
            std::fs::remove_file(&p.path).map_err(io)?;
            report.withdrawn += 1;
        }
    }
    crate::sync_filesystem(dest)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The race the export guards against: a record read while live, then deleted by a purge
    /// before the export renames its file into place (the purge's file delete found nothing).
    /// The check after the rename takes the file away; a record still live is kept.
    #[tokio::test]
    async fn an_export_withdraws_a_file_whose_record_was_deleted_before_the_rename() {
        let dir = tempfile::tempdir().unwrap();
        let (root, dest) = (dir.path().join("blobs"), dir.path().join("out"));
        let s = Arc::new(Segments::open(&root, SegmentOptions::default()).unwrap().0);
        let mut pending = Vec::new();
        for body in [&b"purged selfie"[..], &b"kept selfie"[..]] {
            let hex = crate::content_hash(body);
            let hash = crate::raw_hash(&hex).unwrap();
            s.put("photos", &hash, body).await.unwrap();
            let loc = s.find("photos", &hash, false).unwrap().unwrap();
            let seg = Arc::new(File::open(seg_path(&root.join("segments"), loc.seg)).unwrap());
            let len = (HEADER + 6 + body.len()) as u32;
            assert!(matches!(read_record(&seg, loc.off, len).unwrap(), Record::Live { .. }));
            let path = dest.join(&hex);
            let tmp = dest.join(format!("{hex}.export-tmp"));
            std::fs::create_dir_all(&dest).unwrap();
            std::fs::write(&tmp, body).unwrap();
            pending.push(Pending { tmp, path, seg, off: loc.off, len: body.len() as u64 });
        }
        let purged = crate::raw_hash(&crate::content_hash(b"purged selfie")).unwrap();
        assert!(s.delete("photos", &purged).unwrap());
        let (purged_path, kept_path) = (pending[0].path.clone(), pending[1].path.clone());
        let mut report = ExportReport::default();
        finish_batch(&dest, &mut pending, &mut report).unwrap();
        assert_eq!((report.written, report.withdrawn, report.bytes_written), (1, 1, 11), "{report:?}");
        assert!(!purged_path.exists(), "the purged photo's file is taken away");
        assert_eq!(std::fs::read(&kept_path).unwrap(), b"kept selfie");
        assert_eq!(std::fs::read_dir(&dest).unwrap().count(), 1, "no temporary left");
    }
}

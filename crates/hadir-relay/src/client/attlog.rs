//! Incremental attendance reads. The buffered read (1503) snapshots the whole
//! log, but 1504 reads any byte range of it, so the relay reads only the
//! records after its cursor, chunk by chunk; each page is committed before
//! the next is read, so a timeout halfway loses nothing already read and the
//! next cycle resumes where this one stopped.

use hadir_zk::binary::consts::CMD_ATTLOG_RRQ;
use hadir_zk::binary::{AttendanceRecord, PrepareReply, parse_attendance};

use super::ZkClient;
use crate::error::ClientError;

/// Where the relay stopped in a terminal's log: how many records it has read,
/// their size, and the raw bytes of the last one (to notice a log that was
/// cleared or replaced since: then it reads from the start again, and the
/// buffer's (sn, pin, time) key drops what it already had).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttlogCursor {
    pub count: u32,
    pub record_size: u32,
    pub last_record: Vec<u8>,
}

/// Records read in one step, and the cursor after them.
#[derive(Debug, Clone)]
pub struct AttlogPage {
    pub records: Vec<AttendanceRecord>,
    /// Records that could not be decoded (bad dates); skipped, counted.
    pub undecodable: usize,
    pub cursor: AttlogCursor,
}

enum Source {
    Inline(Vec<u8>),
    Buffered,
}

/// Pages of records after a cursor; call [`AttlogReader::next_page`] until `None`.
pub struct AttlogReader {
    source: Source,
    record_size: u32,
    count: u32,
    next: u32,
    per_page: u32,
    freed: bool,
}

fn valid_size(rs: u32) -> bool {
    rs == 8 || rs == 16 || rs >= 40
}

/// Starts reading the records a terminal holds beyond `cursor`, given its
/// record count (`CMD_GET_FREE_SIZES`).
pub async fn read_new_attendance(
    client: &mut ZkClient,
    record_count: u32,
    cursor: &AttlogCursor,
) -> Result<AttlogReader, ClientError> {
    let mut reader =
        AttlogReader { source: Source::Buffered, record_size: 0, count: 0, next: 0, per_page: 1, freed: true };
    if record_count == 0 {
        return Ok(reader);
    }
    match client.prepare(CMD_ATTLOG_RRQ, 0).await? {
        PrepareReply::Inline(data) => {
            let total = data.get(..4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes).unwrap_or(0);
            let rs = total / record_count;
            if !valid_size(rs) {
                return Err(ClientError::Inconsistent(format!("ukuran rekaman {rs} byte")));
            }
            let at = |i: u32| usize::try_from(4 + u64::from(i) * u64::from(rs)).unwrap_or(usize::MAX);
            let rs_usize = usize::try_from(rs).unwrap_or(usize::MAX);
            let last = cursor.count.checked_sub(1).and_then(|i| data.get(at(i)..at(i).saturating_add(rs_usize)));
            reader.next = resume_at(cursor, record_count, rs, last);
            reader.source = Source::Inline(data);
            reader.per_page = record_count;
            reader.record_size = rs;
        }
        PrepareReply::Buffered { size } => {
            reader.freed = false;
            let rs = size.saturating_sub(4) / record_count;
            if !valid_size(rs) {
                let _ = client.free_data().await;
                return Err(ClientError::Inconsistent(format!("ukuran rekaman {rs} byte")));
            }
            let last = match cursor.count.checked_sub(1) {
                Some(i) if cursor.count <= record_count && cursor.record_size == rs => {
                    Some(client.read_chunk(4 + i * rs, rs).await?)
                }
                _ => None,
            };
            reader.next = resume_at(cursor, record_count, rs, last.as_deref());
            reader.per_page = (client.max_chunk() / rs).max(1);
            reader.record_size = rs;
        }
    }
    reader.count = record_count;
    Ok(reader)
}

/// The index to read from: after the cursor if its last record is still in
/// place, else from the start.
fn resume_at(cursor: &AttlogCursor, count: u32, rs: u32, last_on_device: Option<&[u8]>) -> u32 {
    let same = cursor.count > 0
        && cursor.count <= count
        && cursor.record_size == rs
        && last_on_device == Some(cursor.last_record.as_slice());
    if same { cursor.count } else { 0 }
}

impl AttlogReader {
    /// Records left to read.
    pub fn remaining(&self) -> u32 {
        self.count.saturating_sub(self.next)
    }

    /// The next page, or `None` when everything was read (the terminal's
    /// buffer is then freed).
    pub async fn next_page(&mut self, client: &mut ZkClient) -> Result<Option<AttlogPage>, ClientError> {
        let n = self.remaining().min(self.per_page);
        if n == 0 {
            if !self.freed {
                self.freed = true;
                client.free_data().await?;
            }
            return Ok(None);
        }
        let rs = self.record_size;
        let bytes = match &self.source {
            Source::Inline(data) => {
                let from = usize::try_from(4 + u64::from(self.next) * u64::from(rs)).unwrap_or(usize::MAX);
                let to = usize::try_from(4 + u64::from(self.next + n) * u64::from(rs)).unwrap_or(usize::MAX);
                data.get(from..to.min(data.len())).unwrap_or_default().to_vec()
            }
            Source::Buffered => client.read_chunk(4 + self.next * rs, n * rs).await?,
        };
        let mut dataset = (n * rs).to_le_bytes().to_vec();
        dataset.extend_from_slice(&bytes);
        let set = parse_attendance(&dataset, n)?;
        let last_from = bytes.len().saturating_sub(usize::try_from(rs).unwrap_or(0));
        self.next += n;
        Ok(Some(AttlogPage {
            records: set.records,
            undecodable: set.errors.len(),
            cursor: AttlogCursor {
                count: self.next,
                record_size: rs,
                last_record: bytes.get(last_from..).unwrap_or_default().to_vec(),
            },
        }))
    }
}

//! Async port-4370 client over tokio, built on `hadir_zk::binary` (the
//! codec stays sans-IO; sockets, timeouts and retries live here).
//!
//! Every call is bounded by the client's timeout, so a dead terminal costs at
//! most one timeout per operation and never hangs a task.

mod attlog;
mod transport;

use std::time::Duration;

use hadir_zk::binary::consts::*;
use hadir_zk::binary::{
    CMD_SAVE_USERTEMPS, ChunkProgress, ChunkReader, FingerTemplate, FreeSizes, MAX_CHUNK_TCP, MAX_CHUNK_UDP, Packet,
    PrepareReply, UserLayout, UserRecord, chunk_plan, decode_time, delete_user_request, delete_usertemp_request,
    encode_user, encode_usertemps, make_commkey, next_reply_number, options_request, parse_fingertmp,
    parse_options_reply, parse_text_reply, parse_users, prepare_buffer_request, prepare_users_request,
    read_buffer_request, save_usertemps_request, set_time_request,
};
use jiff::civil::DateTime;

pub use attlog::{AttlogCursor, AttlogPage, read_new_attendance};

use crate::config::Protocol;
use crate::error::ClientError;
use transport::Transport;

/// Over UDP a lost datagram loses a chunk: ask again this many times.
const UDP_CHUNK_ATTEMPTS: usize = 3;
/// Bytes per `CMD_DATA` packet of a buffered write (as pyzk sends them; fits a UDP datagram).
const WRITE_CHUNK: usize = 1024;

pub struct ZkClient {
    transport: Transport,
    session: u16,
    reply: u16,
    timeout: Duration,
}

impl ZkClient {
    /// Opens a session: `CMD_CONNECT`, then `CMD_AUTH` with the scrambled
    /// comm key if the terminal answers 2005.
    pub async fn connect(
        address: &str,
        protocol: Protocol,
        comm_key: u32,
        timeout: Duration,
    ) -> Result<Self, ClientError> {
        let transport = Transport::open(address, protocol, timeout).await?;
        let mut c = Self { transport, session: 0, reply: 0, timeout };
        let reply = c.request_raw(CMD_CONNECT, &[]).await?;
        c.session = reply.session;
        match reply.command {
            CMD_ACK_OK => Ok(c),
            CMD_ACK_UNAUTH => {
                let key = make_commkey(comm_key, c.session, 50);
                let auth = c.request_raw(CMD_AUTH, &key).await?;
                match auth.command {
                    CMD_ACK_OK => Ok(c),
                    CMD_ACK_UNAUTH => Err(ClientError::Unauthorized),
                    other => Err(ClientError::Refused { command: CMD_AUTH, reply: other }),
                }
            }
            other => Err(ClientError::Refused { command: CMD_CONNECT, reply: other }),
        }
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    fn max_chunk(&self) -> u32 {
        if self.transport.is_udp() { MAX_CHUNK_UDP } else { MAX_CHUNK_TCP }
    }

    /// Sends one request and returns the first packet that answers it.
    async fn request_raw(&mut self, command: u16, data: &[u8]) -> Result<Packet, ClientError> {
        let reply_no = self.reply;
        self.reply = next_reply_number(self.reply);
        let packet = Packet::new(command, self.session, reply_no, data.to_vec());
        self.transport.send(&packet, self.timeout).await?;
        self.next_reply(reply_no).await
    }

    /// Next packet answering request `reply_no`. Real-time events are
    /// acknowledged and skipped; over UDP, late answers to an earlier
    /// request (same session, other reply number) are stale and skipped.
    async fn next_reply(&mut self, reply_no: u16) -> Result<Packet, ClientError> {
        let deadline = tokio::time::Instant::now() + self.timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let p = self.transport.recv(left).await?;
            if p.command == CMD_REG_EVENT {
                let ack = Packet::new(CMD_ACK_OK, self.session, 0, Vec::new());
                self.transport.send(&ack, self.timeout).await?;
                continue;
            }
            if self.transport.is_udp() && p.reply != reply_no {
                continue;
            }
            return Ok(p);
        }
    }

    /// A request whose answer must be OK (or data).
    async fn request(&mut self, command: u16, data: &[u8]) -> Result<Packet, ClientError> {
        let p = self.request_raw(command, data).await?;
        match p.command {
            CMD_ACK_OK | CMD_ACK_DATA | CMD_DATA => Ok(p),
            CMD_ACK_UNAUTH => Err(ClientError::Unauthorized),
            other => Err(ClientError::Refused { command, reply: other }),
        }
    }

    /// `~SerialNumber` (the key the server identifies terminals by).
    pub async fn serial_number(&mut self) -> Result<String, ClientError> {
        self.option("~SerialNumber").await
    }

    pub async fn option(&mut self, name: &str) -> Result<String, ClientError> {
        let p = self.request(CMD_OPTIONS_RRQ, &options_request(name)).await?;
        parse_options_reply(&p.data)
            .map(|(_, v)| v)
            .ok_or_else(|| ClientError::Inconsistent(format!("balasan opsi {name} tanpa '='")))
    }

    pub async fn firmware(&mut self) -> Result<String, ClientError> {
        let p = self.request(CMD_GET_VERSION, &[]).await?;
        Ok(parse_text_reply(&p.data))
    }

    pub async fn free_sizes(&mut self) -> Result<FreeSizes, ClientError> {
        let p = self.request(CMD_GET_FREE_SIZES, &[]).await?;
        Ok(FreeSizes::parse(&p.data)?)
    }

    /// The terminal's wall clock (no zone).
    pub async fn device_time(&mut self) -> Result<DateTime, ClientError> {
        let p = self.request(CMD_GET_TIME, &[]).await?;
        let raw = p.data.get(..4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes);
        let raw = raw.ok_or_else(|| ClientError::Inconsistent("balasan waktu kurang dari 4 byte".into()))?;
        Ok(decode_time(raw)?)
    }

    pub async fn set_device_time(&mut self, time: DateTime) -> Result<(), ClientError> {
        self.request(CMD_SET_TIME, &set_time_request(time)?).await.map(drop)
    }

    pub async fn disable(&mut self) -> Result<(), ClientError> {
        self.request(CMD_DISABLEDEVICE, &[]).await.map(drop)
    }

    pub async fn enable(&mut self) -> Result<(), ClientError> {
        self.request(CMD_ENABLEDEVICE, &[]).await.map(drop)
    }

    pub async fn refresh_data(&mut self) -> Result<(), ClientError> {
        self.request(CMD_REFRESHDATA, &[]).await.map(drop)
    }

    pub async fn clear_attendance(&mut self) -> Result<(), ClientError> {
        self.request(CMD_CLEAR_ATTLOG, &[]).await.map(drop)
    }

    /// Starts a buffered read (1503).
    pub async fn prepare(&mut self, command: u16, fct: i32) -> Result<PrepareReply, ClientError> {
        let p = self.request(CMD_PREPARE_BUFFER, &prepare_buffer_request(command, fct, 0)).await?;
        Ok(PrepareReply::parse(&p)?)
    }

    /// Reads `len` bytes at `start` of the prepared buffer (1504).
    pub async fn read_chunk(&mut self, start: u32, len: u32) -> Result<Vec<u8>, ClientError> {
        let attempts = if self.transport.is_udp() { UDP_CHUNK_ATTEMPTS } else { 1 };
        let mut last = ClientError::Timeout("chunk");
        for _ in 0..attempts {
            match self.read_chunk_once(start, len).await {
                Ok(data) => return Ok(data),
                // A TCP stream is out of step after any error: no retry there.
                Err(e) if !self.transport.is_udp() => return Err(e),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    async fn read_chunk_once(&mut self, start: u32, len: u32) -> Result<Vec<u8>, ClientError> {
        let reply_no = self.reply;
        let mut p = self.request_raw(CMD_READ_BUFFER, &read_buffer_request(start, len)).await?;
        let mut reader = ChunkReader::new(len);
        loop {
            if let ChunkProgress::Done(data) = reader.on_packet(&p)? {
                if data.len() != usize::try_from(len).unwrap_or(usize::MAX) {
                    return Err(ClientError::Inconsistent(format!("potongan {} byte, diminta {len}", data.len())));
                }
                return Ok(data);
            }
            p = self.next_reply(reply_no).await?;
        }
    }

    /// Ends a buffered read (1502).
    pub async fn free_data(&mut self) -> Result<(), ClientError> {
        self.request(CMD_FREE_DATA, &[]).await.map(drop)
    }

    /// A whole prepared dataset (`total u32` + records), read in chunks.
    pub async fn read_dataset(&mut self, command: u16, fct: i32) -> Result<Vec<u8>, ClientError> {
        let data = match self.prepare(command, fct).await? {
            PrepareReply::Inline(data) => return Ok(data),
            PrepareReply::Buffered { size } => {
                let mut data = Vec::with_capacity(usize::try_from(size.min(16 << 20)).unwrap_or(0));
                for (start, len) in chunk_plan(size, self.max_chunk()) {
                    data.extend(self.read_chunk(start, len).await?);
                }
                data
            }
        };
        self.free_data().await?;
        Ok(data)
    }

    /// All users, with the layout the terminal uses.
    pub async fn read_users(&mut self, user_count: u32) -> Result<(UserLayout, Vec<UserRecord>), ClientError> {
        if user_count == 0 {
            return Ok((UserLayout::Zk8, Vec::new()));
        }
        let req = prepare_users_request();
        let fct = i32::from_le_bytes([req[3], req[4], req[5], req[6]]);
        let data = self.read_dataset(CMD_USERTEMP_RRQ, fct).await?;
        Ok(parse_users(&data, user_count)?)
    }

    /// Adds or replaces the user with `user.uid` (`CMD_USER_WRQ`).
    pub async fn write_user(&mut self, user: &UserRecord, layout: UserLayout) -> Result<(), ClientError> {
        self.request(CMD_USER_WRQ, &encode_user(user, layout)?).await.map(drop)
    }

    pub async fn delete_user(&mut self, uid: u16) -> Result<(), ClientError> {
        self.request(CMD_DELETE_USER, &delete_user_request(uid)).await.map(drop)
    }

    /// The fingerprint template table (`CMD_DB_RRQ` / `FCT_FINGERTMP`); `fingers` is the count
    /// from the free sizes (0 reads nothing).
    pub async fn read_templates(&mut self, fingers: u32) -> Result<Vec<FingerTemplate>, ClientError> {
        if fingers == 0 {
            return Ok(Vec::new());
        }
        let data = self.read_dataset(CMD_DB_RRQ, FCT_FINGERTMP).await?;
        Ok(parse_fingertmp(&data)?)
    }

    /// Writes `user` (as it is on the terminal, or new) with `templates` (all of that user's uid):
    /// the buffered write (`CMD_FREE_DATA`, `CMD_PREPARE_DATA` with the size, `CMD_DATA` in
    /// 1 KiB chunks), then `CMD_SAVE_USERTEMPS`. The caller refreshes the terminal's data.
    pub async fn save_user_templates(
        &mut self,
        user: &UserRecord,
        templates: &[FingerTemplate],
        layout: UserLayout,
    ) -> Result<(), ClientError> {
        let payload = encode_usertemps(std::slice::from_ref(user), templates, layout)?;
        let size = u32::try_from(payload.len())
            .map_err(|_| ClientError::Inconsistent(format!("muatan templat {} byte", payload.len())))?;
        self.free_data().await?;
        self.request(CMD_PREPARE_DATA, &size.to_le_bytes()).await?;
        for chunk in payload.chunks(WRITE_CHUNK) {
            self.request(CMD_DATA, chunk).await?;
        }
        self.request(CMD_SAVE_USERTEMPS, &save_usertemps_request()).await.map(drop)
    }

    /// Deletes one finger of the user with `uid` (`CMD_DELETE_USERTEMP`).
    pub async fn delete_user_template(&mut self, uid: u16, finger: u8) -> Result<(), ClientError> {
        self.request(CMD_DELETE_USERTEMP, &delete_usertemp_request(uid, finger)).await.map(drop)
    }

    /// Ends the session (`CMD_EXIT`); errors are irrelevant by then.
    pub async fn disconnect(mut self) {
        let _ = self.request_raw(CMD_EXIT, &[]).await;
    }
}

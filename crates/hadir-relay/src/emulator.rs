//! A ZKTeco terminal on loopback (TCP and UDP, port 0), for tests and
//! benchmarks. It answers as real terminals do, byte for byte where pyzk's
//! recorded sessions show them: connect (2005 when a comm key is set, then
//! `CMD_AUTH` → 2000), free sizes, options (`~SerialNumber`, …), version,
//! get/set time, buffered reads (1503 → inline 1501 or a size; 1504 → 1500,
//! 1501 data, 2000; 1502), user write/delete, clear log, `CMD_EXIT`.
//! Punches can be added while it runs; users can be inspected.
//!
//! Fingerprint templates (issue 25): the buffered write (1500 with the size,
//! 1501 chunks) followed by `CMD_SAVE_USERTEMPS` (110) stores users and
//! templates; the template table is read with 1503 of `CMD_DB_RRQ` /
//! `FCT_FINGERTMP`; `CMD_DELETE_USERTEMP` deletes one finger and
//! `CMD_DELETE_USER` the user with its fingers. Tests enrol fingers with
//! [`Emulator::enroll_finger`] and inspect them with [`Emulator::templates`].

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use hadir_zk::binary::consts::*;
use hadir_zk::binary::{
    AttendanceRecord, CMD_SAVE_USERTEMPS, FingerTemplate, Packet, TcpDecoder, UserLayout, UserRecord, decode_time,
    decode_usertemps, encode_attendance, encode_fingertmp, encode_time, encode_user, make_commkey, parse_text_reply,
    parse_users, tcp_frame,
};
use jiff::civil::DateTime;
use jiff::{SignedDuration, Timestamp};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::task::JoinHandle;

/// How the emulated terminal is built.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    pub serial: String,
    pub firmware: String,
    pub platform: String,
    /// 0 = no comm key (CONNECT answers 2000 at once).
    pub comm_key: u32,
    /// Attendance record layout: 8, 16, 40, or more (newer firmware).
    pub record_size: u32,
    pub user_layout: UserLayout,
    /// Zone of the terminal's clock.
    pub timezone: jiff::tz::TimeZone,
    /// Datasets up to this size come inline in the 1503 reply.
    pub inline_max: usize,
    /// Over TCP, split a 1504 chunk into data frames of this size (some
    /// firmware sends 1008-byte frames); `None` sends one frame per chunk.
    pub tcp_data_frame: Option<usize>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            serial: "EMU0000000001".into(),
            firmware: "Ver 6.60 Apr 28 2017".into(),
            platform: "ZMM220_TFT".into(),
            comm_key: 0,
            record_size: 40,
            user_layout: UserLayout::Zk8,
            timezone: jiff::tz::TimeZone::get("Asia/Jakarta").unwrap_or(jiff::tz::TimeZone::UTC),
            inline_max: 1000,
            tcp_data_frame: None,
        }
    }
}

/// Counters for assertions in tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EmulatorStats {
    pub connects: u64,
    pub auth_failures: u64,
    pub exits: u64,
    pub prepares: u64,
    /// 1504 requests and the bytes they returned.
    pub chunk_reads: u64,
    pub chunk_bytes: u64,
    pub user_writes: u64,
    pub user_deletes: u64,
    pub clears: u64,
    /// `CMD_SAVE_USERTEMPS` accepted, and templates they stored.
    pub template_saves: u64,
    pub templates_written: u64,
    /// `CMD_DELETE_USERTEMP` accepted.
    pub template_deletes: u64,
    /// Template table reads (1503 of `FCT_FINGERTMP`).
    pub template_reads: u64,
}

/// Largest buffered write accepted (a real terminal's buffer is bounded too).
const MAX_WRITE_BUFFER: usize = 4 << 20;

struct Device {
    config: EmulatorConfig,
    /// In slot order; real terminals also list empty slots (uid 0).
    users: Vec<UserRecord>,
    records: Vec<AttendanceRecord>,
    /// Fingerprint templates by (uid, finger), in enrolment order.
    templates: Vec<FingerTemplate>,
    clock_offset: SignedDuration,
    next_session: u16,
    stats: EmulatorStats,
    /// A mute terminal swallows every packet (a hung device).
    mute: bool,
}

#[derive(Default)]
struct Session {
    id: u16,
    authed: bool,
    buffer: Option<Vec<u8>>,
    /// A buffered write under way: the announced size and what came so far.
    incoming: Option<(usize, Vec<u8>)>,
}

enum Transport {
    Tcp,
    Udp,
}

/// A running emulated terminal. Dropping it stops it.
pub struct Emulator {
    device: Arc<Mutex<Device>>,
    tcp_addr: SocketAddr,
    udp_addr: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

fn lock(device: &Mutex<Device>) -> MutexGuard<'_, Device> {
    device.lock().unwrap_or_else(|e| e.into_inner())
}

impl Emulator {
    /// Listens on 127.0.0.1, TCP and UDP, on ephemeral ports.
    pub async fn start(config: EmulatorConfig) -> std::io::Result<Self> {
        let device = Arc::new(Mutex::new(Device {
            config,
            users: Vec::new(),
            records: Vec::new(),
            templates: Vec::new(),
            clock_offset: SignedDuration::ZERO,
            next_session: 0x45cf,
            stats: EmulatorStats::default(),
            mute: false,
        }));
        let tcp = TcpListener::bind("127.0.0.1:0").await?;
        let udp = UdpSocket::bind("127.0.0.1:0").await?;
        let (tcp_addr, udp_addr) = (tcp.local_addr()?, udp.local_addr()?);
        let tasks = vec![tokio::spawn(serve_tcp(tcp, device.clone())), tokio::spawn(serve_udp(udp, device.clone()))];
        Ok(Self { device, tcp_addr, udp_addr, tasks })
    }

    pub fn tcp_addr(&self) -> SocketAddr {
        self.tcp_addr
    }

    pub fn udp_addr(&self) -> SocketAddr {
        self.udp_addr
    }

    /// Adds a user (replacing any with the same uid or PIN).
    pub fn add_user(&self, user: UserRecord) {
        lock(&self.device).put_user(user);
    }

    pub fn users(&self) -> Vec<UserRecord> {
        lock(&self.device).users.clone()
    }

    /// Records a punch as if someone had just used the terminal (`time` is
    /// its wall clock). The 8-byte layout stores the user's internal uid
    /// (the user with this PIN, else the PIN as a number).
    pub fn add_punch(&self, pin: &str, time: DateTime, state: u8, verify: u8) {
        self.add_punches(std::iter::once((pin.to_owned(), time, state, verify)));
    }

    pub fn add_punches(&self, punches: impl IntoIterator<Item = (String, DateTime, u8, u8)>) {
        let mut d = lock(&self.device);
        for (pin, time, state, verify) in punches {
            let uid = d.users.iter().find(|u| u.user_id == pin).map(|u| u.uid).or_else(|| pin.parse().ok());
            d.records.push(AttendanceRecord { uid, user_id: Some(pin), time, verify, state, workcode: Some(0) });
        }
    }

    /// Enrols a finger on the terminal, as its keypad menu does, for the
    /// user with this PIN. False when no user has it.
    pub fn enroll_finger(&self, pin: &str, finger: u8, template: &[u8]) -> bool {
        let mut d = lock(&self.device);
        let Some(uid) = d.users.iter().find(|u| u.user_id == pin).map(|u| u.uid) else { return false };
        d.put_template(FingerTemplate { uid, finger, valid: 1, template: template.to_vec() });
        true
    }

    /// The templates it holds, as (PIN, finger, bytes), in (PIN, finger) order.
    pub fn templates(&self) -> Vec<(String, u8, Vec<u8>)> {
        let d = lock(&self.device);
        let mut out: Vec<(String, u8, Vec<u8>)> = d
            .templates
            .iter()
            .map(|t| {
                let pin = d.users.iter().find(|u| u.uid == t.uid).map(|u| u.user_id.clone());
                (pin.unwrap_or_else(|| format!("uid:{}", t.uid)), t.finger, t.template.clone())
            })
            .collect();
        out.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        out
    }

    pub fn record_count(&self) -> usize {
        lock(&self.device).records.len()
    }

    pub fn stats(&self) -> EmulatorStats {
        lock(&self.device).stats
    }

    pub fn set_mute(&self, mute: bool) {
        lock(&self.device).mute = mute;
    }

    /// Sets the terminal's clock offset from true time.
    pub fn set_clock_offset(&self, offset: SignedDuration) {
        lock(&self.device).clock_offset = offset;
    }

    /// The terminal's current wall-clock time.
    pub fn now(&self) -> DateTime {
        lock(&self.device).now()
    }
}

impl Device {
    fn now(&self) -> DateTime {
        Timestamp::now().to_zoned_datetime(self.config.timezone.clone()).datetime().saturating_add(self.clock_offset)
    }

    fn put_user(&mut self, user: UserRecord) {
        let same = |u: &UserRecord| {
            (user.uid != 0 && u.uid == user.uid) || (!user.user_id.is_empty() && u.user_id == user.user_id)
        };
        // Keep the first matching slot (replaced in place), drop any other.
        let mut first = true;
        self.users.retain(|u| !same(u) || std::mem::replace(&mut first, false));
        match self.users.iter_mut().find(|u| same(u)) {
            Some(slot) => *slot = user,
            None => self.users.push(user),
        }
    }

    fn put_template(&mut self, t: FingerTemplate) {
        match self.templates.iter_mut().find(|x| x.uid == t.uid && x.finger == t.finger) {
            Some(slot) => *slot = t,
            None => self.templates.push(t),
        }
    }

    /// `CMD_SAVE_USERTEMPS`: stores the users and templates of the buffered write.
    fn save_usertemps(&mut self, s: &mut Session) -> bool {
        let Some((size, data)) = s.incoming.take() else { return false };
        if data.len() != size {
            return false;
        }
        let layout = self.config.user_layout;
        let Ok((raw_users, templates)) = decode_usertemps(&data, layout) else { return false };
        let mut users = Vec::with_capacity(raw_users.len());
        for raw in &raw_users {
            let dataset = with_total(raw.clone());
            match parse_users(&dataset, 1) {
                Ok((_, mut u)) if u.len() == 1 => users.append(&mut u),
                _ => return false,
            }
        }
        // A template's user must be in the payload or on the terminal.
        let known = |uid: u16| users.iter().any(|u| u.uid == uid) || self.users.iter().any(|u| u.uid == uid);
        if !templates.iter().all(|t| known(t.uid)) {
            return false;
        }
        users.into_iter().for_each(|u| self.put_user(u));
        self.stats.template_saves += 1;
        self.stats.templates_written += templates.len() as u64;
        templates.into_iter().for_each(|t| self.put_template(t));
        true
    }

    fn free_sizes(&self) -> Vec<u8> {
        let mut f = [0i32; 20];
        let n = |v: usize| i32::try_from(v).unwrap_or(i32::MAX);
        f[4] = n(self.users.len());
        f[6] = n(self.templates.len());
        f[8] = n(self.records.len());
        f[14] = 3000;
        f[15] = 10_000;
        f[16] = 200_000;
        f[17] = 3000;
        f[18] = 10_000 - f[4];
        f[19] = 200_000 - f[8];
        let mut out: Vec<u8> = f.iter().flat_map(|v| v.to_le_bytes()).collect();
        // Face block (faces, reserved, capacity), as face terminals append it.
        out.extend([0i32, 0, 0].iter().flat_map(|v| v.to_le_bytes()));
        out
    }

    fn attlog_dataset(&self) -> Vec<u8> {
        let size = self.config.record_size;
        let mut body = Vec::with_capacity(self.records.len() * usize::try_from(size).unwrap_or(40));
        for r in &self.records {
            // Records the layout cannot carry (e.g. a text PIN in 16 bytes) are
            // stored with what fits, as a terminal would: uid 0 / PIN 0.
            let bytes = encode_attendance(r, size).or_else(|_| {
                let fallback = AttendanceRecord { uid: Some(0), user_id: Some("0".into()), ..r.clone() };
                encode_attendance(&fallback, size)
            });
            body.extend(bytes.unwrap_or_default());
        }
        with_total(body)
    }

    fn users_dataset(&self) -> Vec<u8> {
        let body: Vec<u8> =
            self.users.iter().flat_map(|u| encode_user(u, self.config.user_layout).unwrap_or_default()).collect();
        with_total(body)
    }

    fn option(&self, name: &str) -> Option<String> {
        Some(match name {
            "~SerialNumber" => self.config.serial.clone(),
            "~Platform" => self.config.platform.clone(),
            "~DeviceName" => "Hadir Emulator".into(),
            "~ZKFPVersion" => "10".into(),
            "~OS" => "1".into(),
            "~PIN2Width" => "9".into(),
            "MAC" => "00:17:61:c8:ec:17".into(),
            "FaceFunOn" => "0".into(),
            "~ExtendFmt" => "1".into(),
            "~UserExtFmt" => "1".into(),
            "CompatOldFirmware" => "0".into(),
            _ => return None,
        })
    }

    /// Answers one request. Returns the reply packets and whether to close.
    fn handle(&mut self, s: &mut Session, req: &Packet, transport: &Transport) -> (Vec<Packet>, bool) {
        let reply = |cmd: u16, sess: u16, data: Vec<u8>| Packet::new(cmd, sess, req.reply, data);
        let ok = |s: &Session| vec![reply(CMD_ACK_OK, s.id, Vec::new())];
        match req.command {
            CMD_CONNECT => {
                self.stats.connects += 1;
                *s = Session { id: self.next_session, authed: self.config.comm_key == 0, ..Session::default() };
                self.next_session = self.next_session.wrapping_add(1).max(1);
                let cmd = if s.authed { CMD_ACK_OK } else { CMD_ACK_UNAUTH };
                return (vec![reply(cmd, s.id, Vec::new())], false);
            }
            CMD_AUTH => {
                let ticks = req.data.get(2).copied().unwrap_or(50);
                s.authed = req.data.get(..4) == Some(&make_commkey(self.config.comm_key, s.id, ticks)[..]);
                if !s.authed {
                    self.stats.auth_failures += 1;
                }
                let cmd = if s.authed { CMD_ACK_OK } else { CMD_ACK_UNAUTH };
                return (vec![reply(cmd, s.id, Vec::new())], false);
            }
            // Acknowledgements of our (never sent) events need no answer.
            CMD_ACK_OK => return (Vec::new(), false),
            _ if !s.authed => return (vec![reply(CMD_ACK_UNAUTH, s.id, Vec::new())], false),
            _ => {}
        }
        let out = match req.command {
            CMD_EXIT => {
                self.stats.exits += 1;
                return (ok(s), true);
            }
            CMD_GET_FREE_SIZES => vec![reply(CMD_ACK_OK, s.id, self.free_sizes())],
            CMD_OPTIONS_RRQ => {
                let name = parse_text_reply(&req.data);
                match self.option(&name) {
                    Some(v) => vec![reply(CMD_ACK_OK, s.id, format!("{name}={v}\0").into_bytes())],
                    None => vec![reply(CMD_ACK_ERROR, s.id, Vec::new())],
                }
            }
            CMD_GET_VERSION => vec![reply(CMD_ACK_OK, s.id, format!("{}\0", self.config.firmware).into_bytes())],
            CMD_GET_TIME => match encode_time(self.now()) {
                Ok(t) => vec![reply(CMD_ACK_OK, s.id, t.to_le_bytes().to_vec())],
                Err(_) => vec![reply(CMD_ACK_ERROR, s.id, Vec::new())],
            },
            CMD_SET_TIME => {
                let raw = req.data.get(..4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes);
                match raw.map(decode_time) {
                    Some(Ok(t)) => {
                        let real = self.now().saturating_sub(self.clock_offset);
                        self.clock_offset = t.duration_since(real);
                        ok(s)
                    }
                    _ => vec![reply(CMD_ACK_ERROR, s.id, Vec::new())],
                }
            }
            CMD_PREPARE_BUFFER => {
                self.stats.prepares += 1;
                let command = req.data.get(1..3).map(|b| u16::from_le_bytes([b[0], b[1]]));
                let fct = req.data.get(3..7).map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]));
                let dataset = match (command, fct) {
                    (Some(CMD_ATTLOG_RRQ), _) => self.attlog_dataset(),
                    (Some(CMD_USERTEMP_RRQ), _) => self.users_dataset(),
                    (Some(CMD_DB_RRQ), Some(FCT_FINGERTMP)) => {
                        self.stats.template_reads += 1;
                        match encode_fingertmp(&self.templates) {
                            Ok(d) => d,
                            Err(_) => return (vec![reply(CMD_ACK_ERROR, s.id, Vec::new())], false),
                        }
                    }
                    _ => return (vec![reply(CMD_ACK_ERROR, s.id, Vec::new())], false),
                };
                if dataset.len() <= self.config.inline_max {
                    vec![reply(CMD_DATA, s.id, dataset)]
                } else {
                    let size = u32::try_from(dataset.len()).unwrap_or(u32::MAX).to_le_bytes();
                    // As recorded from a real terminal: 00, size, size, 4 bytes.
                    let mut data = vec![0u8];
                    data.extend_from_slice(&size);
                    data.extend_from_slice(&size);
                    data.extend_from_slice(&[0; 4]);
                    s.buffer = Some(dataset);
                    vec![reply(CMD_ACK_OK, s.id, data)]
                }
            }
            CMD_READ_BUFFER => self.read_buffer(s, req, transport),
            CMD_FREE_DATA => {
                s.buffer = None;
                s.incoming = None;
                ok(s)
            }
            // The buffered write: announce the size, then the data in chunks.
            CMD_PREPARE_DATA => match req.data.get(..4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])) {
                Some(size) if (size as usize) <= MAX_WRITE_BUFFER => {
                    s.incoming = Some((size as usize, Vec::new()));
                    ok(s)
                }
                _ => vec![reply(CMD_ACK_ERROR, s.id, Vec::new())],
            },
            CMD_DATA => match s.incoming.as_mut() {
                Some((size, data)) if data.len() + req.data.len() <= *size => {
                    data.extend_from_slice(&req.data);
                    ok(s)
                }
                _ => {
                    s.incoming = None;
                    vec![reply(CMD_ACK_ERROR, s.id, Vec::new())]
                }
            },
            CMD_SAVE_USERTEMPS => {
                if self.save_usertemps(s) {
                    ok(s)
                } else {
                    vec![reply(CMD_ACK_ERROR, s.id, Vec::new())]
                }
            }
            CMD_DELETE_USERTEMP => match req.data.get(..3) {
                Some(b) => {
                    let (uid, finger) = (u16::from_le_bytes([b[0], b[1]]), b[2]);
                    let before = self.templates.len();
                    self.templates.retain(|t| !(t.uid == uid && t.finger == finger));
                    if self.templates.len() < before {
                        self.stats.template_deletes += 1;
                        ok(s)
                    } else {
                        vec![reply(CMD_ACK_ERROR, s.id, Vec::new())]
                    }
                }
                None => vec![reply(CMD_ACK_ERROR, s.id, Vec::new())],
            },
            CMD_USER_WRQ => {
                let len = u32::try_from(req.data.len()).unwrap_or(0);
                let mut dataset = len.to_le_bytes().to_vec();
                dataset.extend_from_slice(&req.data);
                match parse_users(&dataset, 1) {
                    Ok((_, users)) if users.len() == 1 => {
                        self.stats.user_writes += 1;
                        users.into_iter().for_each(|u| self.put_user(u));
                        ok(s)
                    }
                    _ => vec![reply(CMD_ACK_ERROR, s.id, Vec::new())],
                }
            }
            CMD_DELETE_USER => match req.data.get(..2) {
                Some(b) => {
                    self.stats.user_deletes += 1;
                    let uid = u16::from_le_bytes([b[0], b[1]]);
                    self.users.retain(|u| u.uid != uid);
                    self.templates.retain(|t| t.uid != uid);
                    ok(s)
                }
                None => vec![reply(CMD_ACK_ERROR, s.id, Vec::new())],
            },
            CMD_CLEAR_ATTLOG => {
                self.stats.clears += 1;
                self.records.clear();
                ok(s)
            }
            CMD_REFRESHDATA | CMD_ENABLEDEVICE | CMD_DISABLEDEVICE | CMD_ENABLE_CLOCK | CMD_REFRESHOPTION => ok(s),
            _ => vec![reply(CMD_ACK_UNKNOWN, s.id, Vec::new())],
        };
        (out, false)
    }

    fn read_buffer(&mut self, s: &Session, req: &Packet, transport: &Transport) -> Vec<Packet> {
        let reply = |cmd: u16, data: Vec<u8>| Packet::new(cmd, s.id, req.reply, data);
        let field = |at: usize| req.data.get(at..at + 4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes);
        let (Some(start), Some(len), Some(buf)) = (field(0), field(4), s.buffer.as_ref()) else {
            return vec![reply(CMD_ACK_ERROR, Vec::new())];
        };
        let (start, len) = (usize::try_from(start).unwrap_or(usize::MAX), usize::try_from(len).unwrap_or(0));
        let Some(chunk) = buf.get(start..start.saturating_add(len)) else {
            return vec![reply(CMD_ACK_ERROR, Vec::new())];
        };
        self.stats.chunk_reads += 1;
        self.stats.chunk_bytes += u64::try_from(chunk.len()).unwrap_or(0);
        let piece = match transport {
            Transport::Udp => 1024,
            Transport::Tcp => self.config.tcp_data_frame.unwrap_or(usize::MAX),
        };
        let mut prepare = u32::try_from(chunk.len()).unwrap_or(0).to_le_bytes().to_vec();
        prepare.extend_from_slice(&u32::try_from(piece.min(chunk.len())).unwrap_or(0).to_le_bytes());
        let mut out = vec![reply(CMD_PREPARE_DATA, prepare)];
        out.extend(chunk.chunks(piece.max(1)).map(|c| reply(CMD_DATA, c.to_vec())));
        out.push(reply(CMD_ACK_OK, Vec::new()));
        out
    }
}

fn with_total(body: Vec<u8>) -> Vec<u8> {
    let mut out = u32::try_from(body.len()).unwrap_or(u32::MAX).to_le_bytes().to_vec();
    out.extend(body);
    out
}

async fn serve_tcp(listener: TcpListener, device: Arc<Mutex<Device>>) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(tcp_session(stream, device.clone()));
    }
}

async fn tcp_session(mut stream: TcpStream, device: Arc<Mutex<Device>>) {
    let _ = stream.set_nodelay(true);
    let mut decoder = TcpDecoder::default();
    let mut session = Session::default();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let Ok(n) = stream.read(&mut buf).await else { return };
        if n == 0 {
            return;
        }
        decoder.feed(buf.get(..n).unwrap_or_default());
        loop {
            let frame = match decoder.next_frame() {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(_) => return,
            };
            let Ok(req) = Packet::decode(&frame) else { return };
            let (replies, close) = {
                let mut d = lock(&device);
                if d.mute {
                    continue;
                }
                d.handle(&mut session, &req, &Transport::Tcp)
            };
            let mut bytes = Vec::new();
            for p in &replies {
                bytes.extend(tcp_frame(&p.encode()));
            }
            if stream.write_all(&bytes).await.is_err() || close {
                return;
            }
        }
    }
}

async fn serve_udp(socket: UdpSocket, device: Arc<Mutex<Device>>) {
    let mut sessions: HashMap<SocketAddr, Session> = HashMap::new();
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok((n, peer)) = socket.recv_from(&mut buf).await {
        let Ok(req) = Packet::decode(buf.get(..n).unwrap_or_default()) else { continue };
        let (replies, close) = {
            let mut d = lock(&device);
            if d.mute {
                continue;
            }
            let session = sessions.entry(peer).or_default();
            d.handle(session, &req, &Transport::Udp)
        };
        if close {
            sessions.remove(&peer);
        }
        for p in &replies {
            let _ = socket.send_to(&p.encode(), peer).await;
        }
    }
}

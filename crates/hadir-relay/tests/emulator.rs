//! The async client against the emulator on loopback (TCP and UDP, with and
//! without comm key, every record layout), and the emulator against bytes
//! recorded from real terminals (pyzk's test.py, in hadir-zk's vectors).

use std::time::Duration;

use hadir_relay::Protocol;
use hadir_relay::client::{AttlogCursor, ZkClient, read_new_attendance};
use hadir_relay::emulator::{Emulator, EmulatorConfig};
use hadir_relay::error::ClientError;
use hadir_zk::binary::consts::*;
use hadir_zk::binary::{
    CMD_SAVE_USERTEMPS, FreeSizes, Packet, TcpDecoder, UserLayout, UserRecord, make_commkey, parse_users, tcp_frame,
};
use jiff::civil::{DateTime, date};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const T: Duration = Duration::from_secs(3);

fn addr(emu: &Emulator, p: Protocol) -> String {
    match p {
        Protocol::Tcp => emu.tcp_addr().to_string(),
        Protocol::Udp => emu.udp_addr().to_string(),
    }
}

fn at(i: u32) -> DateTime {
    date(2024, 3, 1).at(7, 0, 0, 0).saturating_add(jiff::SignedDuration::from_secs(i64::from(i) * 61))
}

async fn read_all(c: &mut ZkClient, count: u32, cursor: &AttlogCursor) -> (Vec<(String, DateTime)>, AttlogCursor) {
    let mut reader = read_new_attendance(c, count, cursor).await.unwrap();
    let mut out = Vec::new();
    let mut last = cursor.clone();
    while let Some(page) = reader.next_page(c).await.unwrap() {
        out.extend(page.records.iter().map(|r| (r.pin(), r.time)));
        last = page.cursor;
    }
    (out, last)
}

#[tokio::test]
async fn every_transport_key_and_layout() {
    for protocol in [Protocol::Tcp, Protocol::Udp] {
        for comm_key in [0u32, 123_456] {
            for record_size in [8u32, 16, 40, 49] {
                let emu =
                    Emulator::start(EmulatorConfig { comm_key, record_size, ..Default::default() }).await.unwrap();
                emu.add_user(UserRecord { uid: 3, user_id: "1003".into(), name: "Siti".into(), ..Default::default() });
                // Enough records to need several chunks over UDP (16 KiB) and an inline read for small sets.
                let n = 900;
                emu.add_punches((0..n).map(|i| ("1003".to_owned(), at(i), (i % 2) as u8, 1)));
                let ctx = format!("{protocol:?} key={comm_key} size={record_size}");

                let mut c = ZkClient::connect(&addr(&emu, protocol), protocol, comm_key, T).await.expect(&ctx);
                assert_eq!(c.serial_number().await.unwrap(), "EMU0000000001", "{ctx}");
                assert_eq!(c.firmware().await.unwrap(), "Ver 6.60 Apr 28 2017");
                let sizes = c.free_sizes().await.unwrap();
                assert_eq!((sizes.users, sizes.records), (1, n as i32), "{ctx}");
                let drift = c.device_time().await.unwrap().duration_since(emu.now()).as_secs();
                assert!(drift.abs() <= 2, "{ctx}: {drift}");
                let (layout, users) = c.read_users(1).await.unwrap();
                assert_eq!((layout, users[0].user_id.as_str()), (UserLayout::Zk8, "1003"));

                let (got, cursor) = read_all(&mut c, n, &AttlogCursor::default()).await;
                assert_eq!(got.len(), n as usize, "{ctx}");
                // 8-byte records carry the uid; the relay maps it to the PIN.
                let pin = if record_size == 8 { "3" } else { "1003" };
                assert!(got.iter().enumerate().all(|(i, (p, t))| p == pin && *t == at(i as u32)), "{ctx}");
                assert_eq!(cursor.count, n);

                // Incremental: only what came after the cursor is read.
                emu.add_punch("1003", at(n), 0, 1);
                let (more, _) = read_all(&mut c, n + 1, &cursor).await;
                assert_eq!(more, [(pin.to_owned(), at(n))], "{ctx}");
                c.disconnect().await;
                assert_eq!(emu.stats().exits, 1);
            }
        }
    }
}

#[tokio::test]
async fn wrong_comm_key_is_refused() {
    let emu = Emulator::start(EmulatorConfig { comm_key: 77, ..Default::default() }).await.unwrap();
    for p in [Protocol::Tcp, Protocol::Udp] {
        let err = ZkClient::connect(&addr(&emu, p), p, 78, T).await.err().unwrap();
        assert!(matches!(err, ClientError::Unauthorized), "{err}");
    }
    assert_eq!(emu.stats().auth_failures, 2);
}

#[tokio::test]
async fn a_cleared_or_replaced_log_is_read_from_the_start() {
    let emu = Emulator::start(EmulatorConfig { inline_max: 0, ..Default::default() }).await.unwrap();
    emu.add_punches((0..50).map(|i| ("7".to_owned(), at(i), 0, 1)));
    let mut c = ZkClient::connect(&emu.tcp_addr().to_string(), Protocol::Tcp, 0, T).await.unwrap();
    let (_, cursor) = read_all(&mut c, 50, &AttlogCursor::default()).await;
    c.clear_attendance().await.unwrap();
    emu.add_punches((100..160).map(|i| ("8".to_owned(), at(i), 0, 1)));
    let (got, cursor2) = read_all(&mut c, 60, &cursor).await;
    assert_eq!(got.len(), 60, "the old cursor no longer matches: everything is new");
    assert_eq!(got[0], ("8".to_owned(), at(100)));
    // Nothing new: one small chunk (the last record) is read to check, nothing else.
    let before = emu.stats().chunk_bytes;
    let (none, _) = read_all(&mut c, 60, &cursor2).await;
    assert!(none.is_empty());
    assert_eq!(emu.stats().chunk_bytes - before, 40);
}

#[tokio::test]
async fn muted_terminal_times_out() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    emu.set_mute(true);
    for p in [Protocol::Tcp, Protocol::Udp] {
        let start = std::time::Instant::now();
        let err = ZkClient::connect(&addr(&emu, p), p, 0, Duration::from_millis(300)).await.err().unwrap();
        assert!(matches!(err, ClientError::Timeout(_)), "{err}");
        assert!(start.elapsed() < Duration::from_secs(2));
    }
}

#[tokio::test]
async fn users_write_update_delete_and_clock() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let mut c = ZkClient::connect(&emu.tcp_addr().to_string(), Protocol::Tcp, 0, T).await.unwrap();
    let u =
        UserRecord { uid: 5, user_id: "199001012020121001".into(), name: "Budi Santoso".into(), ..Default::default() };
    c.write_user(&u, UserLayout::Zk8).await.unwrap();
    c.write_user(&UserRecord { name: "Budi S.".into(), ..u.clone() }, UserLayout::Zk8).await.unwrap();
    assert_eq!(emu.users().len(), 1);
    assert_eq!(emu.users()[0].name, "Budi S.");
    c.delete_user(5).await.unwrap();
    assert!(emu.users().is_empty());
    let t = date(2025, 1, 2).at(3, 4, 5, 0);
    c.set_device_time(t).await.unwrap();
    let got = c.device_time().await.unwrap();
    assert!(got.duration_since(t).as_secs().abs() <= 1);
}

// ---- against bytes recorded from real terminals ----

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn recorded(text: &str) -> Vec<u8> {
    text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).map(hex).collect::<Vec<_>>().concat()
}

struct Raw {
    stream: tokio::net::TcpStream,
    dec: TcpDecoder,
}

impl Raw {
    async fn send(&mut self, payload: &[u8]) {
        self.stream.write_all(&tcp_frame(payload)).await.unwrap();
    }
    async fn recv(&mut self) -> Vec<u8> {
        let mut buf = [0u8; 4096];
        loop {
            if let Some(f) = self.dec.next_frame().unwrap() {
                return f;
            }
            let n = tokio::time::timeout(T, self.stream.read(&mut buf)).await.unwrap().unwrap();
            assert!(n > 0);
            self.dec.feed(&buf[..n]);
        }
    }
}

#[tokio::test]
async fn emulator_answers_pyzk_recorded_requests_with_real_device_bytes() {
    // pyzk test.py: a terminal with comm key 12 answers CONNECT with 2005 and
    // session 0x45cf, then the CMD_AUTH bytes pyzk sent with 2000.
    let emu = Emulator::start(EmulatorConfig { comm_key: 12, ..Default::default() }).await.unwrap();
    let mut raw =
        Raw { stream: tokio::net::TcpStream::connect(emu.tcp_addr()).await.unwrap(), dec: TcpDecoder::default() };
    raw.send(&hex("e80317fc00000000")).await;
    assert_eq!(raw.recv().await, hex("d5075bb2cf450000"));
    raw.send(&hex("4e044e2ccf450100614d323c")).await;
    assert_eq!(raw.recv().await, hex("d0075fb2cf450100"));
    assert_eq!(make_commkey(12, 0x45cf, 50), [0x61, 0x4d, 0x32, 0x3c]);

    // Free sizes: same layout as the recorded reply (counts at 4/6/8, capacities from 14).
    raw.send(&Packet::new(CMD_GET_FREE_SIZES, 0x45cf, 2, []).encode()).await;
    let ours = Packet::decode(&raw.recv().await).unwrap();
    let real = recorded(include_str!("../../hadir-zk/tests/vectors/pyzk_sizes.hex"));
    let real = Packet::decode(&real[16 + 8..16 + 8 + 100]).unwrap();
    assert_eq!(ours.data.len(), real.data.len(), "92-byte block like the real terminal");
    let (o, r) = (FreeSizes::parse(&ours.data).unwrap(), FreeSizes::parse(&real.data).unwrap());
    assert!(o.users_cap.is_some() && r.users_cap.is_some());
}

#[tokio::test]
async fn emulator_serves_a_real_users_dataset_in_the_real_frame_sequence() {
    // The 70 users of pyzk's "broken TCP" session, loaded into the emulator,
    // must come back byte for byte in the same 1500 / 1501×n / 2000 sequence
    // (1008-byte data frames, as that firmware sends them).
    let stream = recorded(include_str!("../../hadir-zk/tests/vectors/pyzk_users_broken_tcp.hex"));
    let mut dec = TcpDecoder::default();
    dec.feed(&stream);
    let mut frames = Vec::new();
    while let Ok(Some(f)) = dec.next_frame() {
        frames.push(Packet::decode(&f).unwrap());
    }
    let sizes = FreeSizes::parse(&frames[1].data).unwrap();
    let real_chunk: Vec<u8> =
        frames.iter().filter(|p| p.command == CMD_DATA).flat_map(|p| p.data.clone()).collect::<Vec<_>>();
    let (layout, users) = parse_users(&real_chunk, sizes.users as u32).unwrap();
    assert_eq!((layout, users.len()), (UserLayout::Zk8, 70));

    let emu = Emulator::start(EmulatorConfig { tcp_data_frame: Some(1008), ..Default::default() }).await.unwrap();
    users.iter().cloned().for_each(|u| emu.add_user(u));
    let mut raw =
        Raw { stream: tokio::net::TcpStream::connect(emu.tcp_addr()).await.unwrap(), dec: TcpDecoder::default() };
    raw.send(&Packet::new(CMD_CONNECT, 0, 0, []).encode()).await;
    let session = Packet::decode(&raw.recv().await).unwrap().session;
    raw.send(&Packet::new(CMD_PREPARE_BUFFER, session, 1, hadir_zk::binary::prepare_users_request()).encode()).await;
    let prep = Packet::decode(&raw.recv().await).unwrap();
    let real_prep = &frames[2];
    assert_eq!((prep.command, prep.data[..9].to_vec()), (real_prep.command, real_prep.data[..9].to_vec()));
    raw.send(&Packet::new(CMD_READ_BUFFER, session, 2, hadir_zk::binary::read_buffer_request(0, 5044)).encode()).await;
    let real_seq: Vec<_> = frames[3..].iter().take_while(|p| p.command != CMD_ACK_OK).collect();
    for real in &real_seq {
        let ours = Packet::decode(&raw.recv().await).unwrap();
        assert_eq!(ours.command, real.command);
        assert_eq!(ours.data.len(), real.data.len());
        if ours.command == CMD_PREPARE_DATA {
            assert_eq!(ours.data, real.data, "size and frame size");
        }
    }
    assert_eq!(Packet::decode(&raw.recv().await).unwrap().command, CMD_ACK_OK);
    // The data itself: each user record round-trips byte for byte.
    let ours: Vec<u8> = {
        let mut c = ZkClient::connect(&emu.tcp_addr().to_string(), Protocol::Tcp, 0, T).await.unwrap();
        let (_, back) = c.read_users(70).await.unwrap();
        back.iter().flat_map(|u| hadir_zk::binary::encode_user(u, UserLayout::Zk8).unwrap()).collect()
    };
    let theirs: Vec<u8> =
        users.iter().flat_map(|u| hadir_zk::binary::encode_user(u, UserLayout::Zk8).unwrap()).collect();
    assert!(ours == theirs, "users read back through the emulator equal the recorded ones");
}

// ---- fingerprint templates (issue 25) ----

#[tokio::test]
async fn templates_write_read_and_delete_over_tcp_and_udp() {
    for protocol in [Protocol::Tcp, Protocol::Udp] {
        let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
        let u = UserRecord { uid: 4, user_id: "1004".into(), name: "Ani".into(), ..Default::default() };
        emu.add_user(u.clone());
        let mut c = ZkClient::connect(&addr(&emu, protocol), protocol, 0, T).await.unwrap();
        // A template larger than one 1 KiB write chunk, and a small one.
        let big: Vec<u8> = (0..1700u32).map(|i| (i % 251) as u8).collect();
        let fingers = [
            hadir_zk::binary::FingerTemplate { uid: 4, finger: 6, valid: 1, template: big.clone() },
            hadir_zk::binary::FingerTemplate { uid: 4, finger: 1, valid: 1, template: vec![7; 40] },
        ];
        c.save_user_templates(&u, &fingers, UserLayout::Zk8).await.unwrap();
        c.refresh_data().await.unwrap();
        assert_eq!(
            emu.templates(),
            vec![("1004".to_owned(), 1, vec![7; 40]), ("1004".to_owned(), 6, big.clone())],
            "{protocol:?}"
        );
        assert_eq!(emu.users().len(), 1, "the user is rewritten in place, not doubled");
        assert_eq!((emu.stats().template_saves, emu.stats().templates_written), (1, 2));
        let sizes = c.free_sizes().await.unwrap();
        assert_eq!(sizes.fingers, 2);
        // Read back as the table.
        let back = c.read_templates(2).await.unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!((back[0].uid, back[0].finger, back[0].valid, &back[0].template), (4, 6, 1, &big));
        assert_eq!(emu.stats().template_reads, 1);
        // Rewriting a finger replaces it.
        let newer = hadir_zk::binary::FingerTemplate { uid: 4, finger: 1, valid: 1, template: vec![8; 30] };
        c.save_user_templates(&u, &[newer], UserLayout::Zk8).await.unwrap();
        assert_eq!(emu.templates()[0], ("1004".to_owned(), 1, vec![8; 30]));
        // Deleting one finger, then a finger that is not there (refused, nothing changes).
        c.delete_user_template(4, 1).await.unwrap();
        assert_eq!(emu.templates().len(), 1);
        assert!(matches!(c.delete_user_template(4, 1).await, Err(ClientError::Refused { .. })));
        assert_eq!(emu.templates().len(), 1);
        // Deleting the user deletes its fingers.
        c.delete_user(4).await.unwrap();
        assert!(emu.templates().is_empty());
        assert_eq!(c.read_templates(0).await.unwrap(), vec![]);
        c.disconnect().await;
    }
}

#[tokio::test]
async fn template_protocol_bytes_and_refusals() {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    emu.add_user(UserRecord { uid: 2, user_id: "7".into(), name: "Tono".into(), ..Default::default() });
    assert!(emu.enroll_finger("7", 3, b"FINGER"));
    assert!(!emu.enroll_finger("8", 3, b"NOBODY"), "no user with that PIN");
    let mut raw =
        Raw { stream: tokio::net::TcpStream::connect(emu.tcp_addr()).await.unwrap(), dec: TcpDecoder::default() };
    raw.send(&Packet::new(CMD_CONNECT, 0, 0, []).encode()).await;
    let session = Packet::decode(&raw.recv().await).unwrap().session;
    // 1503 with pyzk's `pack('<bhii', 1, CMD_DB_RRQ, FCT_FINGERTMP, 0)`: the table comes inline.
    raw.send(&Packet::new(CMD_PREPARE_BUFFER, session, 1, [1, 7, 0, 2, 0, 0, 0, 0, 0, 0, 0]).encode()).await;
    let p = Packet::decode(&raw.recv().await).unwrap();
    assert_eq!(p.command, CMD_DATA);
    // total 12; size 12 = 6 + 6, uid 2, finger 3, valid 1, "FINGER"
    assert_eq!(p.data, [&[12u8, 0, 0, 0, 12, 0, 2, 0, 3, 1][..], b"FINGER"].concat());
    // The buffered write with a payload built by hand: no users, one template for uid 2 finger 5.
    let mut payload = vec![0, 0, 0, 0, 8, 0, 0, 0, 5, 0, 0, 0];
    payload.extend([2, 2, 0, 0x15, 0, 0, 0, 0]);
    payload.extend([3, 0, b'a', b'b', b'c']);
    let size = (payload.len() as u32).to_le_bytes();
    raw.send(&Packet::new(CMD_PREPARE_DATA, session, 2, size).encode()).await;
    assert_eq!(Packet::decode(&raw.recv().await).unwrap().command, CMD_ACK_OK);
    // A chunk beyond the announced size is refused and drops the write.
    raw.send(&Packet::new(CMD_DATA, session, 3, [payload.clone(), vec![0]].concat()).encode()).await;
    assert_eq!(Packet::decode(&raw.recv().await).unwrap().command, CMD_ACK_ERROR);
    raw.send(&Packet::new(CMD_SAVE_USERTEMPS, session, 4, [12, 0, 0, 0, 0, 0, 8, 0]).encode()).await;
    assert_eq!(Packet::decode(&raw.recv().await).unwrap().command, CMD_ACK_ERROR);
    assert_eq!(emu.templates().len(), 1, "nothing stored");
    // Again, correctly.
    raw.send(&Packet::new(CMD_PREPARE_DATA, session, 5, size).encode()).await;
    assert_eq!(Packet::decode(&raw.recv().await).unwrap().command, CMD_ACK_OK);
    raw.send(&Packet::new(CMD_DATA, session, 6, payload.clone()).encode()).await;
    assert_eq!(Packet::decode(&raw.recv().await).unwrap().command, CMD_ACK_OK);
    raw.send(&Packet::new(CMD_SAVE_USERTEMPS, session, 7, [12, 0, 0, 0, 0, 0, 8, 0]).encode()).await;
    assert_eq!(Packet::decode(&raw.recv().await).unwrap().command, CMD_ACK_OK);
    assert_eq!(emu.templates()[1], ("7".to_owned(), 5, b"abc".to_vec()));
    // A template for a uid nobody has is refused.
    let mut orphan = payload.clone();
    orphan[13] = 9;
    raw.send(&Packet::new(CMD_PREPARE_DATA, session, 8, size).encode()).await;
    let _ = raw.recv().await;
    raw.send(&Packet::new(CMD_DATA, session, 9, orphan).encode()).await;
    let _ = raw.recv().await;
    raw.send(&Packet::new(CMD_SAVE_USERTEMPS, session, 10, [12, 0, 0, 0, 0, 0, 8, 0]).encode()).await;
    assert_eq!(Packet::decode(&raw.recv().await).unwrap().command, CMD_ACK_ERROR);
    assert_eq!(emu.templates().len(), 2);
    // CMD_DELETE_USERTEMP: pyzk's `pack('hb', uid, finger)`.
    raw.send(&Packet::new(CMD_DELETE_USERTEMP, session, 11, [2, 0, 3]).encode()).await;
    assert_eq!(Packet::decode(&raw.recv().await).unwrap().command, CMD_ACK_OK);
    assert_eq!(emu.templates(), vec![("7".to_owned(), 5, b"abc".to_vec())]);
}

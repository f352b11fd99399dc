//! Fuzz targets shared by the proptest suite (`no_panic.rs`) and the
//! bounded-time fuzzer (`fuzz.rs`). Each target feeds arbitrary bytes to a
//! group of parsers and checks the invariants that must hold for any input.

#![allow(dead_code)]

use hadir_zk::binary::{self, Packet};
use hadir_zk::push;

pub type Target = fn(&[u8]);

pub const TARGETS: &[(&str, Target)] = &[
    ("push_query", push_query),
    ("push_attlog", push_attlog),
    ("push_operlog", push_operlog),
    ("push_attphoto", push_attphoto),
    ("push_devicecmd", push_devicecmd),
    ("push_command", push_command),
    ("bin_packet", bin_packet),
    ("bin_tcp_stream", bin_tcp_stream),
    ("bin_datasets", bin_datasets),
    ("bin_chunks", bin_chunks),
    ("bin_user_encode", bin_user_encode),
    ("usb_logfile", usb_logfile),
];

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// Splits fuzz input into parts at 0xFE bytes (a byte rare in the seeds), so
/// one input can drive multi-argument APIs.
fn parts(data: &[u8]) -> Vec<&[u8]> {
    data.split(|&b| b == 0xFE).collect()
}

fn part<'a>(p: &[&'a [u8]], i: usize) -> &'a [u8] {
    p.get(i).copied().unwrap_or_default()
}

pub fn push_query(data: &[u8]) {
    let q = text(data);
    let _ = push::percent_decode(&q);
    let _ = push::Query::parse(&q).serial();
    if let Ok(push::CdataRequest::Handshake(h)) = push::CdataRequest::parse(&q) {
        let reply = push::handshake_reply(&h, &push::HandshakeConfig::default());
        // One line per option, whatever the terminal sent.
        assert!(reply.starts_with("GET OPTION FROM: "));
        assert!(reply.lines().count() >= 12);
        let _ = h.is_security_push();
    }
    let _ = push::GetRequest::parse(&q);
    let _ = push::DeviceCmdRequest::parse(&q);
    let _ = push::PushVersion::parse(&q).is_security_push();
}

pub fn push_attlog(data: &[u8]) {
    let b = push::parse_attlog(data);
    for r in &b.records {
        assert!(!r.pin.is_empty() && !r.pin.contains(['\t', '\n']));
    }
    let _ = push::reply_ok_count(b.records.len());
}

/// A USB log file: every record has a usable PIN, a line number inside the file, and the
/// records and errors together never exceed the lines read.
pub fn usb_logfile(data: &[u8]) {
    let f = hadir_zk::logfile::parse_log_file(data);
    let total = data.iter().filter(|&&b| b == b'\n').count() + 1;
    for r in &f.records {
        assert!(!r.pin.is_empty() && !r.pin.contains(['\t', '\n', ' ']));
        assert!(r.line >= 1 && r.line <= total, "line {} of {total}", r.line);
    }
    assert!(f.records.len() + f.errors.len() + usize::from(f.header_line.is_some()) == f.lines);
}

/// Every template parsed from any body renders as a single-line command and parses back from
/// its own upload line unchanged.
pub fn push_operlog(data: &[u8]) {
    for line in push::parse_operlog(data).entries {
        if let push::OperLogEntry::Template(t) = line.entry {
            let cmd = push::Command::UpdateTemplate(t.clone())
                .line(&push::CommandId::from(1))
                .expect("parsed templates render");
            assert!(!cmd.contains(['\n', '\r']), "{cmd:?}");
            let back = push::parse_operlog(t.upload_line().as_bytes());
            assert_eq!(back.entries.len(), 1);
            assert_eq!(back.entries[0].entry, push::OperLogEntry::Template(t));
        }
    }
    let _ = push::parse_options(data);
}

pub fn push_attphoto(data: &[u8]) {
    if let Ok(p) = push::split_attphoto(data) {
        assert!(p.jpeg.len() < data.len());
        let _ = p.time_and_pin();
    }
}

pub fn push_devicecmd(data: &[u8]) {
    for r in push::parse_devicecmd(data).results {
        let _ = r.meaning();
    }
}

/// Commands built from fuzzed fields must never contain a line break: a
/// name (or anything else) must not be able to inject a second command.
pub fn push_command(data: &[u8]) {
    let p = parts(data);
    let s = |i| text(part(&p, i));
    let mut u = push::UserUpdate::new(&s(0), &s(1));
    u.password = s(2);
    u.card = s(3);
    u.tz = s(4);
    let id = push::CommandId::new(&s(5)).unwrap_or(push::CommandId::from(1));
    let cmds = [
        push::Command::UpdateUser(u),
        push::Command::DeleteUser { pin: s(0) },
        push::Command::QueryUser { pin: s(1) },
        push::Command::SetOption { key: s(2), value: s(3) },
    ];
    let mut lines = Vec::new();
    for c in cmds {
        if let Ok(line) = c.line(&id) {
            assert!(!line.contains(['\n', '\r']), "{line:?}");
            assert!(line.starts_with("C:"));
            lines.push(line);
        }
    }
    let (body, n) = push::getrequest_reply(&lines);
    assert_eq!(body.lines().count(), n.max(1));
    let _ = push::sanitize_field(&s(6));
}

pub fn bin_packet(data: &[u8]) {
    if let Ok(p) = Packet::decode(data) {
        let _ = p.checksum_ok();
        let again = Packet::decode(&p.encode()).expect("re-decodes");
        assert!(again.checksum_ok());
        assert_eq!((again.command, again.session, again.reply), (p.command, p.session, p.reply));
        assert_eq!(again.data, p.data);
        let _ = binary::parse_event(&p);
        let _ = binary::PrepareReply::parse(&p);
    }
    let _ = binary::checksum(data);
    let _ = binary::FreeSizes::parse(data);
    let _ = binary::parse_options_reply(data);
    let _ = binary::parse_text_reply(data);
    let _ = binary::decode_time_hex(data);
    if let Some(b) = data.get(..4) {
        let t = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        if let Ok(dt) = binary::decode_time(t) {
            assert_eq!(binary::encode_time(dt), Ok(t));
        }
    }
}

/// The stream is fed in pieces whose sizes come from the input itself.
pub fn bin_tcp_stream(data: &[u8]) {
    let mut dec = binary::TcpDecoder::new(64 * 1024);
    let mut rest = data;
    let mut step = 1usize;
    while !rest.is_empty() {
        let n = step.min(rest.len());
        let (now, later) = rest.split_at(n);
        dec.feed(now);
        rest = later;
        step = usize::from(now[0] % 17) + 1;
        loop {
            match dec.next_frame() {
                Ok(Some(frame)) => {
                    let _ = Packet::decode(&frame);
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
}

pub fn bin_datasets(data: &[u8]) {
    let (count, dataset) = match data {
        [a, b, rest @ ..] => (u32::from(u16::from_le_bytes([*a, *b])), rest),
        _ => (0, data),
    };
    if let Ok(set) = binary::parse_attendance(dataset, count) {
        for r in &set.records {
            let _ = r.pin();
        }
    }
    if let Ok((layout, users)) = binary::parse_users(dataset, count) {
        for u in &users {
            let _ = binary::encode_user(u, layout);
        }
    }
    // Issue 25: the template table read back byte for byte, and the save payload.
    if let Ok(fingers) = binary::parse_fingertmp(dataset) {
        let again = binary::encode_fingertmp(&fingers).expect("parsed fingers encode");
        assert_eq!(again.as_slice(), &dataset[..again.len()]);
    }
    for layout in [binary::UserLayout::Zk6, binary::UserLayout::Zk8] {
        let _ = binary::decode_usertemps(dataset, layout);
    }
}

/// A sequence of packets (split at 0xFE) answering one 1504 request.
pub fn bin_chunks(data: &[u8]) {
    let p = parts(data);
    let requested = part(&p, 0).get(..4).map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let mut reader = binary::ChunkReader::new(requested);
    for raw in p.iter().skip(1) {
        let Ok(packet) = Packet::decode(raw) else { continue };
        match reader.on_packet(&packet) {
            Ok(binary::ChunkProgress::Done(d)) => {
                assert!(d.len() <= requested as usize || d == packet.data);
                break;
            }
            Ok(binary::ChunkProgress::NeedMore) => {}
            Err(_) => break,
        }
    }
    for (start, len) in binary::chunk_plan(requested % (1 << 24), u32::from(data.len() as u16)).take(64) {
        let _ = binary::read_buffer_request(start, len);
    }
}

pub fn bin_user_encode(data: &[u8]) {
    let p = parts(data);
    let s = |i| text(part(&p, i));
    let u = binary::UserRecord {
        uid: 1,
        privilege: 0,
        password: s(0),
        name: s(1),
        card: 0,
        group: s(2),
        user_id: s(3),
        timezone: None,
    };
    for layout in [binary::UserLayout::Zk6, binary::UserLayout::Zk8] {
        if let Ok(bytes) = binary::encode_user(&u, layout) {
            assert_eq!(bytes.len(), layout.size());
            let mut ds = (bytes.len() as u32).to_le_bytes().to_vec();
            ds.extend_from_slice(&bytes);
            let (_, back) = binary::parse_users(&ds, 1).expect("own records parse");
            assert_eq!(back.len(), 1);
        }
    }
    let _ = binary::options_request(&s(4));
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(char::is_ascii_hexdigit).collect();
    (0..s.len() / 2).filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()).collect()
}

fn recorded(text: &str) -> Vec<Vec<u8>> {
    text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).map(hex).collect()
}

/// Valid inputs to start mutating from (from the protocol document and
/// real-device recordings).
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    let s = |v: &[&str]| v.iter().map(|x| x.as_bytes().to_vec()).collect::<Vec<_>>();
    let users_stream = recorded(include_str!("../vectors/pyzk_users_broken_tcp.hex")).concat();
    let sizes = recorded(include_str!("../vectors/pyzk_sizes.hex"));
    match target {
        "push_query" => s(&[
            "SN=0316144680030&options=all&pushver=2.2.14&language=83&pushcommkey=4a9594af164f2b9779b59e8554b5df26",
            "SN=0316144680030&table=ATTLOG&Stamp=9999",
            "SN=0316144680030&INFO=Ver%202.0.12-20150625,0,0,0,192.168.16.27,10,7,15,0,111",
            "?SN=A&options=all&pushver=3.1.2",
        ]),
        "push_attlog" => s(&[
            "1452\t2015-07-30 15:16:28\t0\t1\t0\t0\t0\n8965\t2015-07-30 15:16:37\t0\t1\t0\t0\t0\n",
            "1\t2024-03-01 07:31:02\t0\t15\t0\t0\t0\t0\t0\t0\t\t\r\n\r\n2\t2024-03-01 07:32:00\r\n",
        ]),
        "usb_logfile" => {
            let mut v = s(&[
                "\u{FEFF}        1\t2024-03-01 07:31:02\t0\t1\t0\t0\r\n       12\t2024-03-01 16:02:10\t1\t15\t0\t0\r\n",
                "7\t2024-03-01 07:31:02\n9 2024/03/01 07:33 1 4\n10\t2024-03-01\t07:34:05\t0\t1\n",
                "No\tMchn\tEnNo\t\tName\t\tMode\tIOMd\tDateTime\t\r\n000001\t1\t000000012\t\tBudi\t\t1\t0\t2024/03/01  07:31:02\r\n",
            ]);
            v.push(
                [0xFF, 0xFE]
                    .into_iter()
                    .chain("5\t2024-03-01 07:31:02\r\n".encode_utf16().flat_map(u16::to_le_bytes))
                    .collect(),
            );
            v
        }
        "push_operlog" => s(&[
            "OPLOG 4\t14\t2015-07-30 10:22:34\t0\t0\t0\t0\n",
            "USER PIN=36234\tName=Ni Luh Ayu\tPri=0\tPasswd=\tCard=133440\tGrp=1\tTZ=0001000000000000\tVerify=-1\n",
            "FP PIN=2\tFID=0\tSize=12\tValid=1\tTMP=SghTUzIxAAAD\nFACE PIN=2\tFID=50\tSize=4\tValid=1\tTMP=AAAA\n",
            "BIODATA Pin=2\tNo=6\tIndex=0\tValid=1\tDuress=0\tType=1\tMajorVer=12\tMinorVer=0\tFormat=0\tTmp=TfJTUzIx\n",
            "FingerFunOn=1,FaceFunOn=1",
        ]),
        "push_attphoto" => s(&["PIN=20150731103012-123.jpg\nSN=0316144680030\nsize=4\nCMD=uploadphoto\0\u{1}\u{2}"]),
        "push_devicecmd" => s(&[
            "ID=info8487&Return=0&CMD=DATA\nID=fp7464&Return=-1005&CMD=DATA\n",
            "ID=21&Return=0&CMD=INFO\n~DeviceName=iFace302\nUserCount=12\n",
        ]),
        "push_command" => vec![b"1\xfeMade Wirawan\xfe\xfe\xfe0000000100000000\xfe17\xfeBudi\tC:1:REBOOT".to_vec()],
        "bin_packet" => vec![
            hex("d007fffc2ffb0000"),
            hex("f401ae4301000000f19449000000120c07130906"),
            sizes[1][8..].to_vec(),
            hex("d007a7625c3c150000b4130000b4130000cdef2300"),
        ],
        "bin_tcp_stream" => vec![users_stream],
        "bin_datasets" => {
            let mut att = vec![2, 0];
            att.extend(80u32.to_le_bytes());
            att.extend([0u8; 80]);
            let mut users = vec![1, 0];
            users.extend(72u32.to_le_bytes());
            users.extend(b"\x01\x00\x00".iter().chain([0u8; 69].iter()));
            let finger = |uid: u16, f: u8, n: usize| binary::FingerTemplate {
                uid,
                finger: f,
                valid: 1,
                template: vec![0x5a; n],
            };
            let mut fingers = vec![0, 0];
            fingers.extend(binary::encode_fingertmp(&[finger(1, 0, 40), finger(2, 6, 9)]).unwrap());
            let user = binary::UserRecord { uid: 1, user_id: "7".into(), name: "A".into(), ..Default::default() };
            let mut save = vec![0, 0];
            save.extend(binary::encode_usertemps(&[user], &[finger(1, 3, 20)], binary::UserLayout::Zk8).unwrap());
            vec![att, users, fingers, save]
        }
        "bin_chunks" => {
            let mut v = 8u32.to_le_bytes().to_vec();
            v.push(0xFE);
            v.extend(Packet::new(1500, 1, 1, 8u32.to_le_bytes()).encode());
            v.push(0xFE);
            v.extend(Packet::new(1501, 1, 1, [7u8; 8]).encode());
            v.push(0xFE);
            v.extend(Packet::new(2000, 1, 1, []).encode());
            vec![v]
        }
        "bin_user_encode" => vec![b"1234\xfeKetut Sudarsana\xfe1\xfe4021\xfe~SerialNumber".to_vec()],
        _ => Vec::new(),
    }
}

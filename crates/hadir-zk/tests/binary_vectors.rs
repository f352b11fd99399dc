//! Port-4370 codec against bytes recorded from real terminals: pyzk's
//! `test.py` (transcribed into `tests/vectors/*.hex`), js_zklib's fixtures
//! and the examples of `adrobinoga/zk-protocol`.

use hadir_zk::binary::consts::*;
use hadir_zk::binary::*;
use jiff::civil::date;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// The recv() chunks of a recorded session, in order.
fn recorded(text: &str) -> Vec<Vec<u8>> {
    text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).map(hex).collect()
}

/// Feeds a recorded TCP session through the decoder in awkward pieces and
/// returns the decoded packets.
fn replay(chunks: &[Vec<u8>], piece: usize) -> Vec<Packet> {
    let stream: Vec<u8> = chunks.concat();
    let mut dec = TcpDecoder::default();
    let mut out = Vec::new();
    for part in stream.chunks(piece) {
        dec.feed(part);
        while let Some(frame) = dec.next_frame().unwrap() {
            out.push(Packet::decode(&frame).unwrap());
        }
    }
    assert_eq!(dec.buffered(), 0, "stream ends on a frame boundary");
    out
}

/// Some pyzk mocks are not consistent TCP streams (the sizes frame says 100
/// bytes but carries 94): decode each recv() as one frame, as pyzk does.
fn per_recv(chunks: &[Vec<u8>]) -> Vec<Packet> {
    chunks
        .iter()
        .map(|c| {
            assert_eq!(c[..4], TCP_MAGIC);
            Packet::decode(&c[8..]).unwrap()
        })
        .collect()
}

#[test]
fn checksums_match_zk_protocol_examples() {
    // protocol.md: checksum 0x175a for this payload (checksum zeroed)…
    assert_eq!(checksum(&hex("0b000000f38d03005a4b4661636556657273696f6e00")), 0x175a);
    // …and 0x6a29 for an odd-length one.
    assert_eq!(checksum(&hex("d0070000f38d0a0009")), 0x6a29);
}

#[test]
fn requests_encode_exactly_like_pyzk() {
    let cases: [(Packet, &str); 6] = [
        (Packet::new(CMD_CONNECT, 0, 0, []), "e80317fc00000000"),
        (Packet::new(CMD_EXIT, 0xfb2f, 1, []), "e903e6002ffb0100"),
        (Packet::new(CMD_AUTH, 0x45cf, 1, make_commkey(12, 0x45cf, 50)), "4e044e2ccf450100614d323c"),
        (Packet::new(CMD_AUTH, 0x45cf, 1, make_commkey(45, 0x45cf, 50)), "4e044db0cf45010061c9323c"),
        (Packet::new(CMD_GET_FREE_SIZES, 0x45cf, 2, []), "3200fcb9cf450200"),
        (
            Packet::new(CMD_PREPARE_BUFFER, 0x45cf, 0x14, prepare_users_request()),
            "df053ca6cf4514000109000500000000000000",
        ),
    ];
    for (packet, expected) in cases {
        assert_eq!(packet.encode(), hex(expected), "{packet:?}");
    }
    assert_eq!(tcp_frame(&Packet::new(CMD_CONNECT, 0, 0, []).encode()), hex("5050827d08000000e80317fc00000000"));
    assert_eq!(
        tcp_frame(&Packet::new(CMD_FREE_DATA, 0x3c5c, 0x17, []).encode()),
        hex("5050827d08000000de05aebd5c3c1700")
    );
}

#[test]
fn device_replies_decode_and_checksums_verify() {
    for (frame, command, session, reply) in [
        ("d007fffc2ffb0000", CMD_ACK_OK, 0xfb2f, 0),
        ("d5075bb2cf450000", CMD_ACK_UNAUTH, 0x45cf, 0),
        ("d0075fb2cf450100", CMD_ACK_OK, 0x45cf, 1),
    ] {
        let p = Packet::decode(&hex(frame)).unwrap();
        assert_eq!((p.command, p.session, p.reply), (command, session, reply));
        assert!(p.checksum_ok(), "{frame}");
        assert_eq!(p.encode(), hex(frame));
    }
    assert!(Packet::decode(&hex("d007fffc2ffb00")).is_err());
}

#[test]
fn free_sizes_from_a_real_terminal() {
    let packets = per_recv(&recorded(include_str!("vectors/pyzk_sizes.hex")));
    assert_eq!(packets.len(), 3);
    let sizes = &packets[1];
    assert_eq!(sizes.command, CMD_ACK_OK);
    assert!(sizes.checksum_ok());
    let s = FreeSizes::parse(&sizes.data).unwrap();
    assert_eq!((s.users, s.fingers, s.records), (7, 6, 605));
    assert_eq!(s.users_cap, Some(10_000));
    assert_eq!(s.fingers_cap, Some(3000));
    assert_eq!(s.records_cap, Some(100_000));
    assert!(FreeSizes::parse(&sizes.data[..30]).is_err());
}

#[test]
fn users_inline_72_byte_layout() {
    let packets = per_recv(&recorded(include_str!("vectors/pyzk_users_small.hex")));
    let sizes = FreeSizes::parse(&packets[1].data).unwrap();
    let reply = PrepareReply::parse(&packets[2]).unwrap();
    let PrepareReply::Inline(dataset) = reply else {
        panic!("expected inline data, got {reply:?}");
    };
    let (layout, users) = parse_users(&dataset, sizes.users as u32).unwrap();
    assert_eq!(layout, UserLayout::Zk8);
    assert_eq!(users.len(), 7);
    let u = &users[3];
    assert_eq!((u.uid, u.user_id.as_str(), u.name.as_str()), (4, "831", ""));
    assert_eq!(u.privilege, USER_DEFAULT);
    // Our encoder reproduces the terminal's own records byte for byte.
    for (i, user) in users.iter().enumerate() {
        let rec = &dataset[4 + i * 72..4 + (i + 1) * 72];
        assert_eq!(encode_user(user, UserLayout::Zk8).unwrap(), rec, "user {i}");
    }
}

#[test]
fn users_inline_k20() {
    let packets = replay(&recorded(include_str!("vectors/pyzk_users_k20.hex")), 33);
    let sizes = FreeSizes::parse(&packets[1].data).unwrap();
    assert_eq!(sizes.users, 2);
    let PrepareReply::Inline(dataset) = PrepareReply::parse(&packets[2]).unwrap() else {
        panic!("expected inline data");
    };
    let (_, users) = parse_users(&dataset, 2).unwrap();
    assert_eq!(users[1].uid, 2);
    assert_eq!(users[1].user_id, "222222cb");
    assert_eq!(users[1].name, "rmengano");
}

#[test]
fn users_buffered_read_across_broken_tcp_frames() {
    // 70 users read with 1503 → ACK(size 5044) → 1504 → PREPARE_DATA,
    // six DATA frames split across many recv() calls, ACK_OK.
    let chunks = recorded(include_str!("vectors/pyzk_users_broken_tcp.hex"));
    for piece in [1, 3, 64, 1000, 100_000] {
        let packets = replay(&chunks, piece);
        let sizes = FreeSizes::parse(&packets[1].data).unwrap();
        assert_eq!(sizes.users, 70);
        let PrepareReply::Buffered { size } = PrepareReply::parse(&packets[2]).unwrap() else {
            panic!("expected buffered reply");
        };
        assert_eq!(size, 5044);
        let plan: Vec<_> = chunk_plan(size, MAX_CHUNK_TCP).collect();
        assert_eq!(plan, [(0, 5044)]);
        let mut reader = ChunkReader::new(5044);
        let mut dataset = None;
        for p in &packets[3..] {
            if let ChunkProgress::Done(d) = reader.on_packet(p).unwrap() {
                dataset = Some(d);
                break;
            }
        }
        let dataset = dataset.expect("chunk completes on ACK_OK");
        assert_eq!(dataset.len(), 5044);
        let (layout, users) = parse_users(&dataset, 70).unwrap();
        assert_eq!(layout, UserLayout::Zk8);
        assert_eq!(users.len(), 70);
        assert_eq!(users[1].uid, 2);
        assert_eq!(users[1].user_id, "3494866");
        assert_eq!(users[1].name, "NievesLopez");
    }
}

#[test]
fn chunk_reader_rejects_inconsistent_replies() {
    let prep = Packet::new(CMD_PREPARE_DATA, 1, 1, 8u32.to_le_bytes());
    let mut r = ChunkReader::new(8);
    r.on_packet(&prep).unwrap();
    r.on_packet(&Packet::new(CMD_DATA, 1, 1, [0u8; 4])).unwrap();
    assert!(matches!(
        r.on_packet(&Packet::new(CMD_ACK_OK, 1, 1, [])),
        Err(BinaryError::ChunkShort { got: 4, expected: 8 })
    ));
    let mut r = ChunkReader::new(8);
    r.on_packet(&prep).unwrap();
    assert!(r.on_packet(&Packet::new(CMD_DATA, 1, 1, [0u8; 9])).is_err());
    let mut r = ChunkReader::new(4);
    assert!(r.on_packet(&prep).is_err(), "announces more than requested");
    let mut r = ChunkReader::new(4);
    assert_eq!(r.on_packet(&Packet::new(CMD_DATA, 1, 1, [1, 2, 3, 4])).unwrap(), ChunkProgress::Done(vec![1, 2, 3, 4]));
}

fn dataset(records: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = records.concat();
    let mut out = (body.len() as u32).to_le_bytes().to_vec();
    out.extend_from_slice(&body);
    out
}

#[test]
fn attendance_40_byte_records_from_fixtures() {
    // js_zklib att_parser_v6.60 fixture (its buffer starts 2 bytes early):
    // uid 282, PIN "4", verify 1, 2018-04-11 09:35:20, state 1.
    let mut js = vec![0x00, 0x00, 0x1a, 0x01, 0x34];
    js.extend([0u8; 23]);
    js.extend([0x01, 0x58, 0x0d, 0x04, 0x23, 0x01]);
    assert_eq!(js.len(), 34);
    let mut rec1 = js[2..].to_vec();
    rec1.resize(40, 0);
    // zk-protocol data-record.md example: uid 13, PIN "999111333", verify 1.
    let rec2 = hex("0D 00 39 39 39 31 31 31  33 33 33 00 00 00 00 00
         00 00 00 00 00 00 00 00  00 00 01 6B B3 68 23 00
         00 00 00 00 FF 00 00 00");
    assert_eq!(rec2.len(), 40);
    let set = parse_attendance(&dataset(&[rec1, rec2]), 2).unwrap();
    assert_eq!(set.record_size, 40);
    assert!(set.errors.is_empty() && !set.truncated);
    let a = &set.records[0];
    assert_eq!((a.uid, a.user_id.as_deref()), (Some(282), Some("4")));
    assert_eq!((a.verify, a.state), (1, 1));
    assert_eq!(a.time, date(2018, 4, 11).at(9, 35, 20, 0));
    let b = &set.records[1];
    assert_eq!((b.uid, b.pin().as_str(), b.verify, b.state), (Some(13), "999111333", 1, 0));
    assert_eq!(b.time, decode_time(0x2368_B36B).unwrap());
}

#[test]
fn attendance_8_16_and_49_byte_layouts() {
    let t = encode_time(date(2024, 3, 1).at(7, 31, 2, 0)).unwrap().to_le_bytes();
    let t2 = encode_time(date(2024, 3, 1).at(16, 5, 0, 0)).unwrap().to_le_bytes();

    // 8 bytes: uid u16, verify u8, time u32, state u8.
    let r8 = |uid: u16, time: [u8; 4], state: u8| {
        let mut r = uid.to_le_bytes().to_vec();
        r.push(1);
        r.extend_from_slice(&time);
        r.push(state);
        r
    };
    let set = parse_attendance(&dataset(&[r8(5, t, 0), r8(6, t2, 1)]), 2).unwrap();
    assert_eq!(set.record_size, 8);
    assert_eq!(set.records[1].uid, Some(6));
    assert_eq!(set.records[1].pin(), "6");
    assert_eq!(set.records[1].state, 1);
    assert_eq!(set.records[1].time, date(2024, 3, 1).at(16, 5, 0, 0));

    // 16 bytes: user_id u32, time u32, verify u8, state u8, 2 reserved, workcode u32.
    let mut r16 = 198_001u32.to_le_bytes().to_vec();
    r16.extend_from_slice(&t);
    r16.extend_from_slice(&[15, 1, 0, 0]);
    r16.extend_from_slice(&7u32.to_le_bytes());
    let set = parse_attendance(&dataset(&[r16]), 1).unwrap();
    let r = &set.records[0];
    assert_eq!((r.pin().as_str(), r.verify, r.state, r.workcode), ("198001", 15, 1, Some(7)));

    // 49 bytes (newer firmware): the 40-byte prefix, stepped by 49.
    let r49 = |pin: &str, time: [u8; 4]| {
        let mut r = vec![0u8; 49];
        r[0] = 9;
        r[2..2 + pin.len()].copy_from_slice(pin.as_bytes());
        r[26] = 4;
        r[27..31].copy_from_slice(&time);
        r[31] = 2;
        r[40..49].fill(0xee);
        r
    };
    let set = parse_attendance(&dataset(&[r49("1001", t), r49("1002", t2)]), 2).unwrap();
    assert_eq!(set.record_size, 49);
    let pins: Vec<String> = set.records.iter().map(|r| r.pin()).collect();
    assert_eq!(pins, ["1001", "1002"]);
    assert_eq!((set.records[1].verify, set.records[1].state), (4, 2));

    // A record with an impossible date is reported, the others kept.
    let bad = r8(7, (((24 * 12 + 1) * 31 + 30) * 86_400u32).to_le_bytes(), 0);
    let set = parse_attendance(&dataset(&[r8(5, t, 0), bad]), 2).unwrap();
    assert_eq!(set.records.len(), 1);
    assert_eq!(set.errors[0].index, 1);

    // Truncated read: whole records only, flagged.
    let mut d = dataset(&[r8(5, t, 0), r8(6, t2, 1)]);
    d.truncate(d.len() - 3);
    let set = parse_attendance(&d, 2).unwrap();
    assert!(set.truncated);
    assert_eq!(set.records.len(), 1);

    assert!(matches!(parse_attendance(&dataset(&[vec![0; 12]]), 1), Err(BinaryError::UnknownRecordSize(12))));
    assert!(parse_attendance(&[], 1).is_err());
    assert_eq!(parse_attendance(&[0, 0, 0, 0], 0).unwrap().records, []);
}

#[test]
fn realtime_events() {
    // pyzk test_tcp_live_connect (12 bytes) and _small (32 bytes).
    let p = Packet::decode(&hex("f401ae4301000000f19449000000120c07130906")).unwrap();
    let Some(RealtimeEvent::Attendance(a)) = parse_event(&p).unwrap() else {
        panic!("expected attendance");
    };
    assert_eq!(a[0].user_id, "4822257");
    assert_eq!(a[0].time, date(2018, 12, 7).at(19, 9, 6, 0));

    let p = Packet::decode(&hex("f401ae43010000003131343030363400000000000000000000000000000000000f00120b1d0c3703"))
        .unwrap();
    let Some(RealtimeEvent::Attendance(a)) = parse_event(&p).unwrap() else {
        panic!("expected attendance");
    };
    assert_eq!((a[0].user_id.as_str(), a[0].verify, a[0].state), ("1140064", 15, 0));
    assert_eq!(a[0].time, date(2018, 11, 29).at(12, 55, 3, 0));

    // zk-protocol realtime.md: a full TCP frame.
    let frame = hex("50 50 82 7D 28 00 00 00  F4 01 AC 12 01 00 00 00
         39 39 39 31 31 31 33 33  33 00 00 00 00 00 00 00
         00 00 00 00 00 00 00 00  01 00 12 06 19 11 29 05");
    let mut dec = TcpDecoder::default();
    dec.feed(&frame);
    let p = Packet::decode(&dec.next_frame().unwrap().unwrap()).unwrap();
    let Some(RealtimeEvent::Attendance(a)) = parse_event(&p).unwrap() else {
        panic!("expected attendance");
    };
    assert_eq!((a[0].user_id.as_str(), a[0].verify), ("999111333", 1));
    assert_eq!(a[0].time, date(2018, 6, 25).at(17, 41, 5, 0));

    // Other events are passed through; ordinary replies are not events.
    let p = Packet::new(CMD_REG_EVENT, EF_ALARM as u16, 0, [0x3a, 0, 0, 0]);
    assert!(matches!(parse_event(&p).unwrap(), Some(RealtimeEvent::Other { code: 512, .. })));
    assert_eq!(parse_event(&Packet::new(CMD_ACK_OK, 1, 0, [])).unwrap(), None);
    assert!(parse_event(&Packet::new(CMD_REG_EVENT, 1, 0, [0; 11])).is_err());
}

#[test]
fn tcp_decoder_guards() {
    let mut dec = TcpDecoder::default();
    dec.feed(&[0x50, 0x50, 0x82]);
    assert_eq!(dec.next_frame(), Ok(None));
    dec.feed(&[0x7e]);
    assert_eq!(dec.next_frame(), Err(BinaryError::BadMagic));

    let mut dec = TcpDecoder::new(1024);
    dec.feed(&hex("5050827d01040000"));
    assert!(matches!(dec.next_frame(), Err(BinaryError::FrameTooLarge { len: 1025, .. })));

    let mut dec = TcpDecoder::default();
    let two = [tcp_frame(b"abcdefgh"), tcp_frame(b"12345678xy")].concat();
    dec.feed(&two);
    assert_eq!(dec.next_frame().unwrap().unwrap(), b"abcdefgh");
    assert_eq!(dec.next_frame().unwrap().unwrap(), b"12345678xy");
    assert_eq!(dec.next_frame(), Ok(None));
}

#[test]
fn user_records_round_trip_both_layouts() {
    let u = UserRecord {
        uid: 12,
        privilege: USER_ADMIN,
        password: "1234".into(),
        name: "I Gusti Ngurah Agung Putra Wijaya".into(),
        card: 15_420_222,
        group: "1".into(),
        user_id: "198703152010011002".into(),
        timezone: None,
    };
    let bytes = encode_user(&u, UserLayout::Zk8).unwrap();
    assert_eq!(bytes.len(), 72);
    let mut ds = 72u32.to_le_bytes().to_vec();
    ds.extend_from_slice(&bytes);
    let (_, back) = parse_users(&ds, 1).unwrap();
    assert_eq!(back[0].name, "I Gusti Ngurah Agung Put", "cut to 24 bytes");
    assert_eq!(UserRecord { name: u.name[..24].into(), ..u.clone() }, back[0]);

    let u6 = UserRecord {
        uid: 3,
        name: "Ketut Sudarsana".into(),
        user_id: "4021".into(),
        group: "1".into(),
        timezone: Some(0),
        ..UserRecord::default()
    };
    let bytes = encode_user(&u6, UserLayout::Zk6).unwrap();
    assert_eq!(bytes.len(), 28);
    let mut ds = 28u32.to_le_bytes().to_vec();
    ds.extend_from_slice(&bytes);
    let (layout, back) = parse_users(&ds, 1).unwrap();
    assert_eq!(layout, UserLayout::Zk6);
    assert_eq!(back[0].name, "Ketut Su");
    assert_eq!((back[0].uid, back[0].user_id.as_str()), (3, "4021"));

    // Names are cut at a character boundary, never mid-UTF-8.
    let mut w = u.clone();
    w.name = "ÀÀÀÀÀÀÀÀÀÀÀÀÀ".into(); // 26 bytes
    let b = encode_user(&w, UserLayout::Zk8).unwrap();
    assert_eq!(&b[11..35], "ÀÀÀÀÀÀÀÀÀÀÀÀ".as_bytes());

    let too_long = UserRecord { user_id: "1".repeat(25), ..u.clone() };
    assert!(encode_user(&too_long, UserLayout::Zk8).is_err());
    let alpha = UserRecord { user_id: "A1".into(), ..u6 };
    assert!(encode_user(&alpha, UserLayout::Zk6).is_err());
}

#[test]
fn options_version_and_small_requests() {
    assert_eq!(options_request("~SerialNumber"), b"~SerialNumber\0");
    assert_eq!(
        parse_options_reply(b"~SerialNumber=OIN7020068010300077\0\0"),
        Some(("~SerialNumber".into(), "OIN7020068010300077".into()))
    );
    assert_eq!(parse_options_reply(b"\0"), None);
    assert_eq!(parse_text_reply(b"Ver 6.60 Apr 28 2017\0junk"), "Ver 6.60 Apr 28 2017");
    assert_eq!(delete_user_request(0x0102), [2, 1]);
    assert_eq!(reg_event_request(EF_ATTLOG), [1, 0, 0, 0]);
    assert_eq!(set_time_request(date(2018, 4, 11).at(9, 35, 20, 0)).unwrap(), [0x58, 0x0d, 0x04, 0x23]);
    assert_eq!(next_reply_number(65534), 0);
}

//! Property tests: no input may panic any parser, and the invariants in
//! `common` hold. Inputs are arbitrary bytes and "protocol-ish" strings built
//! from the tokens the parsers branch on (so they reach deep paths).

mod common;

use proptest::prelude::*;

fn tokens() -> impl Strategy<Value = Vec<u8>> {
    let alphabet = vec![
        "\t",
        "\n",
        "\r\n",
        "\r",
        "=",
        "&",
        "%",
        "%4",
        "%41",
        "+",
        ",",
        ".",
        "0",
        "7",
        "-1",
        "-1005",
        "99999999999",
        " ",
        ":",
        "-",
        "\0",
        "é",
        "\u{FFFD}",
        "\u{fe}",
        "SN=",
        "A1",
        "PIN=",
        "Name=",
        "Pri=",
        "FID=",
        "TMP=",
        "USER ",
        "OPLOG ",
        "FP ",
        "FACE ",
        "BIODATA ",
        "Tmp=",
        "Type=",
        "No=",
        "ID=",
        "Return=",
        "CMD=",
        "INFO",
        "table=",
        "ATTLOG",
        "options=all",
        "pushver=",
        "3.0",
        "2024-03-01 07:31:02",
        "2024-02-30 25:61:61",
        "20150731103012-123.jpg",
    ];
    prop::collection::vec(prop::sample::select(alphabet), 0..48).prop_map(|v| v.concat().into_bytes())
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..2048),
        tokens(),
        // Packets with plausible headers and lengths.
        (any::<u16>(), any::<u16>(), prop::collection::vec(any::<u8>(), 0..256))
            .prop_map(|(cmd, session, data)| hadir_zk::binary::Packet::new(cmd, session, 0, data).encode()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn every_target_survives_any_input(data in bytes()) {
        for (_, target) in common::TARGETS {
            target(&data);
        }
    }

    #[test]
    fn tcp_frames_round_trip(payloads in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..8), piece in 1usize..64) {
        let stream: Vec<u8> = payloads.iter().flat_map(|p| hadir_zk::binary::tcp_frame(p)).collect();
        let mut dec = hadir_zk::binary::TcpDecoder::default();
        let mut out = Vec::new();
        for part in stream.chunks(piece) {
            dec.feed(part);
            while let Some(f) = dec.next_frame().unwrap() {
                out.push(f);
            }
        }
        prop_assert_eq!(out, payloads);
    }

    #[test]
    fn attlog_lines_round_trip(pin in "[0-9A-Za-z]{1,24}", secs in 0i64..4_000_000_000, status in 0u32..6, verify in 0u32..30) {
        let t = jiff::tz::TimeZone::UTC.to_datetime(jiff::Timestamp::from_second(secs).unwrap());
        let when = format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            t.year(), t.month(), t.day(), t.hour(), t.minute(), t.second()
        );
        let line = format!("{pin}\t{when}\t{status}\t{verify}\t0\t0\t0\t9\t9\n");
        let b = hadir_zk::push::parse_attlog(line.as_bytes());
        prop_assert!(b.errors.is_empty());
        prop_assert_eq!(&b.records[0].pin, &pin);
        prop_assert_eq!(b.records[0].time, t);
        prop_assert_eq!((b.records[0].status, b.records[0].verify), (status, verify));
    }
}

//! PUSH protocol tests, byte for byte, using the request/response examples of
//! ZKTeco's "Attendance PUSH Communication Protocol" 2.4.1 (the PDF text has
//! spurious spaces, e.g. `OK: 9` is `OK:9`, and tabs shown as spaces).

use hadir_zk::push::*;
use jiff::civil::date;

#[test]
fn handshake_with_pushver_uses_new_style_stamps() {
    // Section 5 example request.
    let req = CdataRequest::parse(
        "SN=0316144680030&options=all&pushver=2.2.14&language=83&pushcommkey=4a9594af164f2b9779b59e8554b5df26",
    )
    .unwrap();
    let CdataRequest::Handshake(h) = req else {
        panic!("expected handshake, got {req:?}");
    };
    assert_eq!(h.sn, "0316144680030");
    assert_eq!(h.options.as_deref(), Some("all"));
    assert_eq!(h.language.as_deref(), Some("83"));
    assert_eq!(h.pushcommkey.as_deref(), Some("4a9594af164f2b9779b59e8554b5df26"));
    assert!(h.new_style());
    assert!(!h.is_security_push());

    // Section 5 example response (values of the example).
    let cfg = HandshakeConfig {
        attlog_stamp: 0,
        operlog_stamp: 9999,
        attphoto_stamp: 0,
        error_delay_secs: 30,
        delay_secs: 10,
        trans_times: "00:00;14:05".into(),
        trans_interval_min: 1,
        trans_flags: TransFlags { att_photo: true, user_pic: true, ..TransFlags::default() },
        time_zone: TimeZoneOption(8),
        realtime: true,
        encrypt: false,
        server_ver: "2.4.1".into(),
        push_prot_ver: "2.4.1".into(),
    };
    assert_eq!(
        handshake_reply(&h, &cfg),
        "GET OPTION FROM: 0316144680030\n\
         ATTLOGStamp=0\n\
         OPERLOGStamp=9999\n\
         ATTPHOTOStamp=0\n\
         ErrorDelay=30\n\
         Delay=10\n\
         TransTimes=00:00;14:05\n\
         TransInterval=1\n\
         TransFlag=TransData AttLog\tOpLog\tAttPhoto\tEnrollUser\tChgUser\tEnrollFP\tChgFP\tUserPic\n\
         TimeZone=8\n\
         Realtime=1\n\
         Encrypt=None\n\
         ServerVer=2.4.1\n\
         PushProtVer=2.4.1\n"
    );
}

#[test]
fn handshake_without_pushver_uses_old_style_stamps() {
    let CdataRequest::Handshake(h) = CdataRequest::parse("SN=ABCD1234&options=all").unwrap() else {
        panic!("expected handshake");
    };
    assert!(!h.new_style());
    let cfg = HandshakeConfig {
        attlog_stamp: 123,
        operlog_stamp: 0,
        attphoto_stamp: 0,
        time_zone: TimeZoneOption::from_offset_seconds(8 * 3600),
        ..HandshakeConfig::default()
    };
    assert_eq!(
        handshake_reply(&h, &cfg),
        "GET OPTION FROM: ABCD1234\n\
         Stamp=123\n\
         OpStamp=0\n\
         PhotoStamp=0\n\
         ErrorDelay=60\n\
         Delay=30\n\
         TransTimes=00:00;14:05\n\
         TransInterval=1\n\
         TransFlag=1101101100\n\
         TimeZone=8\n\
         Realtime=1\n\
         Encrypt=0\n"
    );
    // An empty pushver is treated as absent (as ZKTeco's server does).
    let CdataRequest::Handshake(h) = CdataRequest::parse("SN=A1&options=all&pushver=").unwrap() else {
        panic!("expected handshake");
    };
    assert!(!h.new_style());
}

#[test]
fn security_push_is_detected() {
    let CdataRequest::Handshake(h) = CdataRequest::parse("SN=X1&options=all&pushver=3.1.2&language=73").unwrap() else {
        panic!("expected handshake");
    };
    assert!(h.is_security_push());
    assert_eq!(h.pushver.unwrap().raw, "3.1.2");
}

#[test]
fn attlog_upload_example() {
    // Section 11.2 request line and body (tabs restored), plus a record with
    // the extra trailing fields of newer firmware.
    let req = CdataRequest::parse("SN=0316144680030&table=ATTLOG&Stamp=9999").unwrap();
    let CdataRequest::Upload(up) = req else {
        panic!("expected upload");
    };
    assert_eq!(up.table, Table::AttLog);
    assert_eq!(up.stamp, Some(9999));

    let body = "1452\t2015-07-30 15:16:28\t0\t1\t0\t0\t0\n\
                1452\t2015-07-30 15:16:29\t0\t1\t0\t0\t0\n\
                1452\t2015-07-30 15:16:30\t0\t1\t0\t0\t0\n\
                1452\t2015-07-30 15:16:31\t0\t1\t0\t0\t0\n\
                1452\t2015-07-30 15:16:33\t0\t1\t0\t0\t0\n\
                1452\t2015-07-30 15:16:34\t0\t1\t0\t0\t0\n\
                1452\t2015-07-30 15:16:35\t0\t1\t0\t0\t0\n\
                8965\t2015-07-30 15:16:36\t0\t1\t0\t0\t0\n\
                8965\t2015-07-30 15:16:37\t0\t1\t0\t0\t0\n";
    let batch = parse_attlog(body.as_bytes());
    assert!(batch.errors.is_empty(), "{:?}", batch.errors);
    assert_eq!(batch.records.len(), 9);
    assert_eq!(reply_ok_count(batch.records.len()), "OK:9");
    let last = batch.records.last().unwrap();
    assert_eq!(last.pin, "8965");
    assert_eq!(last.time, date(2015, 7, 30).at(15, 16, 37, 0));
    assert_eq!((last.status, last.verify, last.workcode.as_str()), (0, 1, "0"));
    assert_eq!(last.line, 9);
}

#[test]
fn attlog_tolerates_crlf_blank_lines_extras_and_reports_bad_lines() {
    let body = b"1\t2024-03-01 07:31:02\t0\t15\t0\t0\t0\t0\t0\t0\t\t\r\n\
                 \r\n\
                 2\t2024-03-01 07:32:00\r\n\
                 3\t2024-02-30 07:00:00\t0\t1\n\
                 \t2024-03-01 07:00:00\t0\t1\n\
                 4\t2024-03-01 16:05:59\tx\t1\n\
                 5\t2024-03-01 16:06:00\t1\t4\t7\n";
    let batch = parse_attlog(body);
    let pins: Vec<&str> = batch.records.iter().map(|r| r.pin.as_str()).collect();
    assert_eq!(pins, ["1", "2", "5"]);
    assert_eq!(batch.records[0].verify, 15);
    assert_eq!((batch.records[1].status, batch.records[1].verify), (0, 0));
    assert_eq!(batch.records[2].workcode, "7");
    let errs: Vec<(usize, LineErrorKind)> = batch.errors.iter().map(|e| (e.line, e.kind.clone())).collect();
    assert_eq!(
        errs,
        [(4, LineErrorKind::BadTime), (5, LineErrorKind::BadPin), (6, LineErrorKind::NotANumber { field: "status" }),]
    );
}

#[test]
fn operlog_oplog_user_fp_and_others() {
    // Sections 11.4, 11.5, 11.9 (tabs restored), a UTF-8 name and a name
    // with invalid bytes (GB2312 firmware), and kinds we do not interpret.
    let mut body = Vec::new();
    body.extend_from_slice(b"OPLOG 4\t14\t2015-07-30 10:22:34\t0\t0\t0\t0\n");
    body.extend_from_slice(b"USER PIN=36234\tName=36234\tPri=0\tPasswd=\tCard=133440\tGrp=1\tTZ=0001000000000000\n");
    body.extend_from_slice(
        "USER PIN=7\tName=Ni Luh Putu Ayu Dewi — ĀŚ\tPri=14\tPasswd=123\tCard=[15CD5B07]\tGrp=1\tTZ=0000000000000000\tVerify=-1\r\n"
            .as_bytes(),
    );
    body.extend_from_slice(b"USER PIN=8\tName=\xCD\xF5\xB7\xBC\tPri=0\n");
    body.extend_from_slice(b"FP PIN=2\tFID=0\tSize=12\tValid=1\tTMP=SghTUzIxAAAD\n");
    body.extend_from_slice(b"FACE PIN=2\tFID=50\tSize=4\tValid=1\tTMP=AAAA\n");
    body.extend_from_slice(b"USERPIC PIN=2\tFileName=2.jpg\tSize=4\tContent=AAAA\n");
    body.extend_from_slice(b"BIOPHOTO PIN=2\tFileName=2.jpg\tType=9\n");
    body.extend_from_slice(
        b"BIODATA Pin=2\tNo=6\tIndex=0\tValid=1\tDuress=0\tType=1\tMajorVer=12\tMinorVer=0\tFormat=0\tTmp=TfJTUzIx\n",
    );
    body.extend_from_slice(b"USER Name=NoPin\n");
    body.extend_from_slice(b"OPLOG x\t0\t2015-07-30 10:22:34\n");

    let batch = parse_operlog(&body);
    let e: Vec<&OperLogEntry> = batch.entries.iter().map(|l| &l.entry).collect();
    assert_eq!(e.len(), 9);
    let OperLogEntry::OpLog(op) = e[0] else { panic!("{:?}", e[0]) };
    assert_eq!((op.op_type, op.operator.as_str()), (4, "14"));
    assert_eq!(op.time, date(2015, 7, 30).at(10, 22, 34, 0));
    assert_eq!(op.values, ["0", "0", "0", "0"]);

    let OperLogEntry::User(u) = e[1] else { panic!("{:?}", e[1]) };
    assert_eq!((u.pin.as_str(), u.name.as_str(), u.card.as_str()), ("36234", "36234", "133440"));
    assert_eq!((u.group.as_str(), u.tz.as_str(), u.verify), ("1", "0001000000000000", None));

    let OperLogEntry::User(u) = e[2] else { panic!("{:?}", e[2]) };
    assert_eq!(u.name, "Ni Luh Putu Ayu Dewi — ĀŚ");
    assert_eq!((u.privilege, u.password.as_str()), (14, "123"));
    assert_eq!(u.card, "[15CD5B07]");
    assert_eq!(u.verify, None);

    let OperLogEntry::User(u) = e[3] else { panic!("{:?}", e[3]) };
    assert_eq!(u.pin, "8");
    assert!(u.name.contains('\u{FFFD}'));

    let OperLogEntry::Template(fp) = e[4] else { panic!("{:?}", e[4]) };
    assert_eq!((fp.kind, fp.pin.as_str(), fp.no, fp.valid), (TemplateKind::Finger, "2", 0, 1));
    assert_eq!(fp.template, "SghTUzIxAAAD");

    let OperLogEntry::Template(face) = e[5] else { panic!("{:?}", e[5]) };
    assert_eq!((face.kind, face.no, face.template.as_str()), (TemplateKind::Face, 50, "AAAA"));
    assert!(matches!(e[6], OperLogEntry::UserPic(kv) if kv.get("FileName") == Some("2.jpg")));
    assert!(matches!(e[7], OperLogEntry::BioPhoto(kv) if kv.get("Type") == Some("9")));
    let OperLogEntry::Template(bio) = e[8] else { panic!("{:?}", e[8]) };
    assert_eq!((bio.kind, bio.pin.as_str(), bio.no, bio.index), (TemplateKind::Bio(1), "2", 6, 0));
    assert_eq!((bio.major_ver.as_str(), bio.minor_ver.as_str(), bio.template.as_str()), ("12", "0", "TfJTUzIx"));

    let errs: Vec<(usize, LineErrorKind)> = batch.errors.iter().map(|e| (e.line, e.kind.clone())).collect();
    assert_eq!(
        errs,
        [(10, LineErrorKind::MissingField { field: "PIN" }), (11, LineErrorKind::NotANumber { field: "OpType" }),]
    );
}

#[test]
fn options_upload() {
    let CdataRequest::Upload(up) = CdataRequest::parse("SN=0316144680030&table=options").unwrap() else {
        panic!("expected upload")
    };
    assert_eq!(up.table, Table::Options);
    let kv = parse_options(b"FingerFunOn=1,FaceFunOn=1");
    assert_eq!(kv.get("FingerFunOn"), Some("1"));
    assert_eq!(kv.get("facefunon"), Some("1"));
}

#[test]
fn attphoto_split() {
    let CdataRequest::Upload(up) = CdataRequest::parse("SN=0316144680030&table=ATTPHOTO&Stamp=9999").unwrap() else {
        panic!("expected upload")
    };
    assert_eq!(up.table, Table::AttPhoto);
    let mut body = b"PIN=20150731103012-123.jpg\nSN=0316144680030\nsize=4\nCMD=uploadphoto\0".to_vec();
    body.extend_from_slice(&[0xFF, 0xD8, 0x00, 0xD9]);
    let p = split_attphoto(&body).unwrap();
    assert_eq!(p.file_name, "20150731103012-123.jpg");
    assert_eq!(p.sn.as_deref(), Some("0316144680030"));
    assert_eq!(p.size, Some(4));
    assert_eq!(p.cmd.as_deref(), Some("uploadphoto"));
    assert_eq!(p.jpeg, [0xFF, 0xD8, 0x00, 0xD9]);
    let (t, pin) = p.time_and_pin();
    assert_eq!(t, Some(date(2015, 7, 31).at(10, 30, 12, 0)));
    assert_eq!(pin.as_deref(), Some("123"));

    assert_eq!(split_attphoto(b"PIN=x.jpg"), Err(PushError::PhotoMissingNul));
    assert_eq!(split_attphoto(b"SN=1\0\xFF"), Err(PushError::PhotoMissingPin));
}

#[test]
fn getrequest_with_info() {
    // Section 9 example.
    let r = GetRequest::parse("SN=0316144680030&INFO=Ver%202.0.12-20150625,0,0,0,192.168.16.27,10,7,15,0,111").unwrap();
    assert_eq!(r.sn, "0316144680030");
    let i = r.info.unwrap();
    assert_eq!(i.firmware.as_deref(), Some("Ver 2.0.12-20150625"));
    assert_eq!((i.users, i.fingerprints, i.attendance_records), (Some(0), Some(0), Some(0)));
    assert_eq!(i.ip.as_deref(), Some("192.168.16.27"));
    assert_eq!(i.fp_algorithm.as_deref(), Some("10"));
    assert_eq!(i.face_algorithm.as_deref(), Some("7"));
    assert_eq!((i.face_enroll_count, i.faces), (Some(15), Some(0)));
    assert_eq!(i.functions.as_deref(), Some("111"));

    let r = GetRequest::parse("SN=0316144680030").unwrap();
    assert_eq!(r.info, None);
}

#[test]
fn getrequest_reply_with_queued_commands() {
    let cmds = [
        (CommandId::from(17), Command::UpdateUser(UserUpdate::new("1", "Made Wirawan"))),
        (CommandId::new("18").unwrap(), Command::DeleteUser { pin: "2".into() }),
        (
            CommandId::from(19),
            Command::QueryAttLog { start: date(2015, 7, 29).at(0, 0, 0, 0), end: date(2015, 7, 29).at(23, 59, 59, 0) },
        ),
        (CommandId::from(20), Command::Check),
        (CommandId::from(21), Command::Info),
        (CommandId::from(22), Command::SetOption { key: "TimeZone".into(), value: "8".into() }),
        (CommandId::from(23), Command::ClearLog),
        (CommandId::from(24), Command::Reboot),
        (CommandId::from(25), Command::Log),
    ];
    let lines: Vec<String> = cmds.iter().map(|(id, c)| c.line(id).unwrap()).collect();
    let (body, sent) = getrequest_reply(&lines);
    assert_eq!(sent, 8, "nothing after REBOOT");
    assert_eq!(
        body,
        "C:17:DATA UPDATE USERINFO PIN=1\tName=Made Wirawan\tPri=0\tPasswd=\tCard=\tGrp=1\tTZ=0000000100000000\n\
         C:18:DATA DELETE USERINFO PIN=2\n\
         C:19:DATA QUERY ATTLOG StartTime=2015-07-29 00:00:00\tEndTime=2015-07-29 23:59:59\n\
         C:20:CHECK\n\
         C:21:INFO\n\
         C:22:SET OPTION TimeZone=8\n\
         C:23:CLEAR LOG\n\
         C:24:REBOOT\n"
    );
    assert_eq!(cmds[6].1.reply_name(), "CLEAR_LOG");
    assert_eq!(cmds[0].1.reply_name(), "DATA");
}

#[test]
fn names_cannot_inject_commands() {
    let mut u = UserUpdate::new("5", "Budi\tPri=14\nC:99:CLEAR LOG\r");
    let line = Command::UpdateUser(u.clone()).line(&CommandId::from(1)).unwrap();
    assert_eq!(line.matches('\n').count(), 0);
    assert_eq!(line.matches('\t').count(), 6, "only the 6 field separators");
    assert!(line.contains("Name=Budi Pri=14 C:99:CLEAR LOG\tPri=0"));

    u.password = "1\n2".into();
    assert!(Command::UpdateUser(u).render().is_err());
    assert!(Command::DeleteUser { pin: "1 2".into() }.render().is_err());
    assert!(Command::DeleteUser { pin: "".into() }.render().is_err());
    assert!(Command::SetOption { key: "A=B".into(), value: "1".into() }.render().is_err());
    assert!(Command::SetOption { key: "Delay".into(), value: "1\nC:2:REBOOT".into() }.render().is_err());
}

#[test]
fn devicecmd_results() {
    // Section 13 example.
    let DeviceCmdRequest { sn } = DeviceCmdRequest::parse("SN=0316144680030").unwrap();
    assert_eq!(sn, "0316144680030");
    let body = b"ID=info8487&Return=0&CMD=DATA\n\
                 ID=info8488&Return=0&CMD=DATA\n\
                 ID=info8489&Return=0&CMD=DATA\n\
                 ID=info7464&Return=0&CMD=DATA\n\
                 ID=fp7464&Return=0&CMD=DATA\n";
    let b = parse_devicecmd(body);
    assert!(b.errors.is_empty());
    let ids: Vec<&str> = b.results.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["info8487", "info8488", "info8489", "info7464", "fp7464"]);
    assert!(b.results.iter().all(|r| r.return_code == 0 && r.cmd == "DATA"));
    assert_eq!(b.results[0].meaning(), "berhasil");

    let body = b"ID=17&Return=-10&CMD=DATA\r\n\
                 ID=18&Return=-1005&CMD=CLEAR_LOG\r\n\
                 ID=19&Return=0&CMD=VERIFY SUM&StartTime=2015-07-29 00:00:00&EndTime=2015-07-29 23:59:59&AttlogSum=12\n\
                 ID=21&Return=0&CMD=INFO\n\
                 ~DeviceName=iFace302\n\
                 MAC=00:17:61:01:02:03\n\
                 UserCount=12\n\
                 ID=22&Return=x&CMD=DATA\n\
                 garbage\n";
    let b = parse_devicecmd(body);
    assert_eq!(b.results.len(), 4);
    assert_eq!(b.results[0].meaning(), "PIN tidak dikenal");
    assert_eq!(b.results[1].meaning(), "perangkat sibuk");
    assert_eq!(b.results[1].cmd, "CLEAR_LOG");
    assert_eq!(b.results[2].extra.get("AttlogSum"), Some("12"));
    assert_eq!(b.results[3].info.get("~DeviceName"), Some("iFace302"));
    assert_eq!(b.results[3].info.get("UserCount"), Some("12"));
    let errs: Vec<(usize, LineErrorKind)> = b.errors.iter().map(|e| (e.line, e.kind.clone())).collect();
    assert_eq!(errs, [(8, LineErrorKind::NotANumber { field: "Return" }), (9, LineErrorKind::Unrecognised)]);
}

#[test]
fn return_code_meanings() {
    assert_eq!(return_code_meaning(0), "berhasil");
    assert_eq!(return_code_meaning(-1), "parameter salah");
    assert_eq!(return_code_meaning(-10), "PIN tidak dikenal");
    assert_eq!(return_code_meaning(-1001), "kapasitas penuh");
    assert_eq!(return_code_meaning(-1005), "perangkat sibuk");
    assert_eq!(return_code_meaning(-77), "kode -77");
}

#[test]
fn ping_and_date_header() {
    assert_eq!(DeviceCmdRequest::parse("SN=3383154200002").unwrap().sn, "3383154200002");
    let t = jiff::Timestamp::from_second(1_435_906_381).unwrap();
    assert_eq!(http_date(t), "Fri, 03 Jul 2015 06:53:01 GMT");
    assert_eq!(REPLY_OK, "OK");
}

#[test]
fn unknown_tables_are_kept() {
    let CdataRequest::Upload(up) = CdataRequest::parse("SN=1&table=BIODATA&Stamp=x").unwrap() else { panic!() };
    assert_eq!(up.table, Table::Other("BIODATA".into()));
    assert_eq!(up.stamp, None);
    assert!(CdataRequest::parse("table=ATTLOG").is_err());
}

#[test]
fn template_lines_become_update_commands_for_another_terminal() {
    // An FP line as a terminal uploads it (section 11.5, tabs restored), a FACE line and a
    // BIODATA line (visible-light face, Type=9); each renders as the command that writes it.
    let tmp = "TWNTUzIxAAAEXGUECAUHCc7QAAAcXWkBAAAAhDsvGlxJAIgPYgCGAPdTxwBXAJ4PWgBZXIcPiQBeAHwPjlx7AHYPUQC6AO5TOQCIAIoPEwCLXAAP";
    let body = format!(
        "FP PIN=1001\tFID=6\tSize={}\tValid=1\tTMP={tmp}\r\nFACE PIN=1001\tFID=3\tSize=8\tValid=1\tTMP=AAECAwQF\nBIODATA Pin=1001\tNo=0\tIndex=0\tValid=1\tDuress=0\tType=9\tMajorVer=5\tMinorVer=8\tFormat=0\tTmp=AQIDBA==\n",
        tmp.len()
    );
    let batch = parse_operlog(body.as_bytes());
    assert!(batch.errors.is_empty(), "{:?}", batch.errors);
    let lines: Vec<String> = batch
        .entries
        .iter()
        .map(|l| match &l.entry {
            OperLogEntry::Template(t) => Command::UpdateTemplate(t.clone()).line(&CommandId::from(7)).unwrap(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        lines,
        [
            format!("C:7:DATA UPDATE FINGERTMP PIN=1001\tFID=6\tSize={}\tValid=1\tTMP={tmp}", tmp.len()),
            "C:7:DATA UPDATE FACE PIN=1001\tFID=3\tSize=8\tValid=1\tTMP=AAECAwQF".to_string(),
            "C:7:DATA UPDATE BIODATA Pin=1001\tNo=0\tIndex=0\tValid=1\tDuress=0\tType=9\tMajorVer=5\tMinorVer=8\tFormat=0\tTmp=AQIDBA==".to_string(),
        ]
    );
    // The upload line of a parsed template parses back to the same template.
    let OperLogEntry::Template(t) = &batch.entries[2].entry else { unreachable!() };
    let again = parse_operlog(t.upload_line().as_bytes());
    assert_eq!(again.entries[0].entry, OperLogEntry::Template(t.clone()));

    let del = |kind| Command::DeleteTemplates { pin: "1001".into(), kind }.render().unwrap();
    assert_eq!(del(TemplateKind::Finger), "DATA DELETE FINGERTMP PIN=1001");
    assert_eq!(del(TemplateKind::Face), "DATA DELETE FACE PIN=1001");
    assert_eq!(del(TemplateKind::Bio(9)), "DATA DELETE BIODATA Pin=1001\tType=9");
    assert_eq!(Command::UpdateTemplate(t.clone()).reply_name(), "DATA");

    // A template that is not base64 (a line break would inject a second command) is refused,
    // in a body and in a command.
    let bad = parse_operlog(b"FP PIN=1\tFID=0\tTMP=AAAA\rC:1:REBOOT\n");
    assert_eq!(bad.errors.len(), 1);
    assert_eq!(bad.errors[0].kind, LineErrorKind::BadTemplate);
    // The error quotes the line without its template (errors are logged).
    assert_eq!(bad.errors[0].excerpt, "FP PIN=1\tFID=0\tTMP=");
    let bad = parse_operlog(b"BIODATA Pin=x y\tNo=0\tType=1\tTmp=U2VjcmV0VGVtcGxhdGU=\n");
    assert_eq!(bad.errors[0].kind, LineErrorKind::BadPin);
    assert!(!bad.errors[0].excerpt.contains("U2Vj"), "{:?}", bad.errors[0].excerpt);
    let mut forged = t.clone();
    forged.template = "AAAA\nC:9:REBOOT".into();
    assert!(Command::UpdateTemplate(forged).render().is_err());
}

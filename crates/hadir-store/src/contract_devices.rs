//! The contract story for terminals, their command queues and relays. Runs after the main story
//! (units KAB → DIK → SD1 and KAB → RSUD exist).

use crate::*;
use jiff::{Timestamp, ToSpan};

fn audit(what: &str) -> Audit {
    Audit::new((None, "contract"), "create", what, "-")
}

pub async fn run(s: &dyn Store) {
    registry_and_contact(s).await;
    command_queue(s).await;
    relays(s).await;
    trust(s).await;
}

async fn registry_and_contact(s: &dyn Store) {
    let t0 = Timestamp::from_second(1_764_000_000).unwrap();
    // An unknown serial calls: recorded pending with its address and what it reported.
    let d = s
        .device_contact(&DeviceContact {
            sn: "PEND1".into(),
            at: Some(t0),
            ip: Some("10.1.2.3".into()),
            pushver: Some("2.4.1".into()),
            firmware: Some("Ver 2.0.12".into()),
            users: Some(12),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!((d.state, d.unit_id, d.ip.as_deref()), (DeviceState::Pending, None, Some("10.1.2.3")));
    assert_eq!((d.users, d.last_seen), (Some(12), Some(t0)));
    // A later contact keeps what it does not repeat and never moves last_seen back.
    let d = s
        .device_contact(&DeviceContact { sn: "PEND1".into(), at: Some(t0 - 1.minute()), ..Default::default() })
        .await
        .unwrap();
    assert_eq!((d.firmware.as_deref(), d.last_seen), (Some("Ver 2.0.12"), Some(t0)));

    // Registering takes over a pending serial; a second registration is a conflict.
    let nd = NewDevice { sn: "PEND1".into(), unit_code: "SD1".into(), timezone: None };
    let d = s.register_device(&nd, audit("device")).await.unwrap();
    assert_eq!(
        (d.state, d.unit_code.as_deref(), d.zone_name()),
        (DeviceState::Active, Some("SD1"), Some("Asia/Makassar"))
    );
    assert!(matches!(s.register_device(&nd, audit("device")).await, Err(StoreError::Conflict(ref c)) if c == "sn"));
    let other = NewDevice { sn: "T2".into(), unit_code: "RSUD".into(), timezone: Some("Asia/Jakarta".into()) };
    let d2 = s.register_device(&other, audit("device")).await.unwrap();
    assert_eq!(d2.zone_name(), Some("Asia/Jakarta"));
    let d2 = s.set_device_timezone("T2", None, audit("device")).await.unwrap();
    assert_eq!(d2.zone_name(), Some("Asia/Makassar"));
    assert!(matches!(
        s.register_device(&NewDevice { sn: "X".into(), unit_code: "NOPE".into(), timezone: None }, audit("d")).await,
        Err(StoreError::NotFound(_))
    ));

    // Approving a pending terminal assigns its unit.
    s.device_contact(&DeviceContact { sn: "PEND2".into(), ..Default::default() }).await.unwrap();
    let d = s.approve_device("PEND2", "RSUD", None, audit("device")).await.unwrap();
    assert_eq!((d.state, d.unit_code.as_deref()), (DeviceState::Active, Some("RSUD")));
    assert!(matches!(s.approve_device("NOPE", "RSUD", None, audit("d")).await, Err(StoreError::NotFound(_))));

    s.set_device_stamps("PEND1", StampUpdate { attlog: Some(9999), ..Default::default() }).await.unwrap();
    let d = s.device_by_sn("PEND1").await.unwrap();
    assert_eq!((d.attlog_stamp, d.operlog_stamp), (9999, 0));
    s.reset_device_stamps("PEND1", audit("device")).await.unwrap();
    assert_eq!(s.device_by_sn("PEND1").await.unwrap().attlog_stamp, 0);

    s.device_contact(&DeviceContact { sn: "PEND3".into(), ..Default::default() }).await.unwrap();
    let pending =
        s.list_devices(&DeviceFilter { state: Some(DeviceState::Pending), ..Default::default() }).await.unwrap();
    assert_eq!(pending.iter().map(|d| d.sn.as_str()).collect::<Vec<_>>(), ["PEND3"]);
    let dik = s.unit_by_code("DIK").await.unwrap();
    let scoped = s.list_devices(&DeviceFilter { subtrees: Some(vec![dik.path]), ..Default::default() }).await.unwrap();
    assert_eq!(scoped.iter().map(|d| d.sn.as_str()).collect::<Vec<_>>(), ["PEND1"], "pending ones have no unit");
    let by_unit = s.list_devices(&DeviceFilter { unit_code: Some("KAB".into()), ..Default::default() }).await.unwrap();
    assert_eq!(by_unit.len(), 3);
    assert!(s.list_audit(Some("device"), 0, 10).await.unwrap().total >= 1);
}

async fn command_queue(s: &dyn Store) {
    let cmds = vec!["DATA DELETE USERINFO PIN=1".to_string(), "INFO".into(), "REBOOT".into()];
    let q = s.queue_device_commands("PEND1", &cmds, Some(audit("device"))).await.unwrap();
    assert_eq!(q.len(), 3);
    assert!(q.windows(2).all(|w| w[0].id < w[1].id));
    assert!(q.iter().all(|c| c.state == CommandState::Queued && c.sn == "PEND1"));
    assert_eq!(s.device_by_sn("PEND1").await.unwrap().pending_commands, 3);
    assert!(matches!(s.queue_device_commands("NOPE", &cmds, None).await, Err(StoreError::NotFound(_))));

    let now = Timestamp::now();
    let queued = s.queued_device_commands("PEND1", 2).await.unwrap();
    assert_eq!(queued.iter().map(|c| c.id).collect::<Vec<_>>(), [q[0].id, q[1].id]);
    // Another terminal cannot touch these commands.
    s.mark_device_commands_sent("T2", &[q[0].id], now).await.unwrap();
    assert_eq!(s.queued_device_commands("PEND1", 10).await.unwrap().len(), 3);
    s.mark_device_commands_sent("PEND1", &[q[0].id, q[1].id], now).await.unwrap();
    assert_eq!(s.queued_device_commands("PEND1", 10).await.unwrap().len(), 1);

    let outcomes = [
        CommandOutcome { id: q[0].id, return_code: -10, meaning: "PIN tidak dikenal".into() },
        CommandOutcome { id: q[1].id, return_code: 0, meaning: "berhasil".into() },
        CommandOutcome { id: 999_999, return_code: 0, meaning: "berhasil".into() },
    ];
    assert_eq!(s.record_device_command_results("PEND1", &outcomes, now).await.unwrap(), 2);
    let list = s.list_device_commands("PEND1", 10).await.unwrap();
    assert_eq!(list[0].id, q[2].id, "newest first");
    take_commands(s).await;
    let first = list.iter().find(|c| c.id == q[0].id).unwrap();
    assert_eq!(
        (first.state, first.return_code, first.meaning.as_deref()),
        (CommandState::Error, Some(-10), Some("PIN tidak dikenal"))
    );
    let second = list.iter().find(|c| c.id == q[1].id).unwrap();
    assert_eq!(second.state, CommandState::Ok);
    assert!(second.done_at.is_some() && second.sent_at.is_some());
}

/// Taking commands hands each out once, only as many as fit, in order.
async fn take_commands(s: &dyn Store) {
    let cmds: Vec<String> = (1..=5).map(|i| format!("DATA UPDATE USERINFO PIN={i}")).collect();
    let q = s.queue_device_commands("T2", &cmds, None).await.unwrap();
    let now = Timestamp::now();
    let first = s.take_device_commands("T2", 10, now, &|c: &[DeviceCommand]| c.len().min(2)).await.unwrap();
    assert_eq!(first.iter().map(|c| c.id).collect::<Vec<_>>(), [q[0].id, q[1].id]);
    let rest = s.take_device_commands("T2", 10, now, &|c: &[DeviceCommand]| c.len()).await.unwrap();
    assert_eq!(rest.iter().map(|c| c.id).collect::<Vec<_>>(), [q[2].id, q[3].id, q[4].id]);
    assert!(s.take_device_commands("T2", 10, now, &|c: &[DeviceCommand]| c.len()).await.unwrap().is_empty());
    let listed = s.list_device_commands("T2", 10).await.unwrap();
    assert!(listed.iter().all(|c| c.state == CommandState::Sent && c.sent_at.is_some()));
}

async fn relays(s: &dyn Store) {
    let r = s.create_relay("Pijo SD1", "SD1", b"relay-hash-1", audit("relay")).await.unwrap();
    assert_eq!((r.unit_code.as_str(), r.revoked, r.sync_requested), ("SD1", false, false));
    assert_eq!(s.relay_by_token(b"relay-hash-1").await.unwrap().id, r.id);
    assert!(s.relay_by_token(b"other").await.is_err());
    assert!(matches!(s.create_relay("x", "NOPE", b"h2", audit("relay")).await, Err(StoreError::NotFound(_))));

    // A relay never activates: a pending serial without a unit seen through it stays pending in
    // the relay's unit; a new one is created pending there; one of another unit is refused and
    // left untouched.
    s.device_contact(&DeviceContact { sn: "VIA1".into(), ..Default::default() }).await.unwrap();
    let at = Timestamp::from_millisecond(Timestamp::now().as_millisecond() + 60_000).unwrap();
    let terminals = [
        RelayTerminal {
            sn: "VIA1".into(),
            lan_address: Some("192.168.1.201:4370".into()),
            users: Some(30),
            records: Some(1200),
            reachable: Some(true),
            last_pull: Some(at),
            ..Default::default()
        },
        RelayTerminal {
            sn: "VIA2".into(),
            reachable: Some(false),
            last_error: Some("timeout".into()),
            ..Default::default()
        },
        RelayTerminal { sn: "T2".into(), lan_address: Some("192.168.1.202:4370".into()), ..Default::default() },
    ];
    let rep = s.relay_report(r.id, &terminals, at).await.unwrap();
    assert_eq!(rep.refused, ["T2"]);
    assert_eq!(rep.joined, ["VIA1", "VIA2"], "first reported by this relay");
    let again = s.relay_report(r.id, &terminals, at).await.unwrap();
    assert!(again.joined.is_empty(), "already behind this relay: {:?}", again.joined);
    let by_sn = |sn: &str| rep.devices.iter().find(|d| d.sn == sn).unwrap().clone();
    let via1 = by_sn("VIA1");
    assert_eq!((via1.state, via1.unit_code.as_deref()), (DeviceState::Pending, Some("SD1")));
    assert_eq!(
        (via1.relay_name.as_deref(), via1.lan_address.as_deref()),
        (Some("Pijo SD1"), Some("192.168.1.201:4370"))
    );
    assert_eq!((via1.records, via1.last_seen, via1.reachable), (Some(1200), Some(at), Some(true)));
    let via2 = by_sn("VIA2");
    assert!(via2.auto_registered && via2.last_seen.is_none() && via2.state == DeviceState::Pending);
    assert_eq!(via2.last_error.as_deref(), Some("timeout"));
    assert!(!rep.devices.iter().any(|d| d.sn == "T2"));
    let t2 = s.device_by_sn("T2").await.unwrap();
    assert_eq!((t2.unit_code.as_deref(), t2.relay_id, t2.lan_address), (Some("RSUD"), None, None), "untouched");
    assert_eq!(s.relay_by_id(r.id).await.unwrap().last_seen, Some(at));
    // A person may still register an auto-registered terminal elsewhere.
    let moved = s
        .register_device(&NewDevice { sn: "VIA2".into(), unit_code: "RSUD".into(), timezone: None }, audit("device"))
        .await
        .unwrap();
    assert_eq!((moved.unit_code.as_deref(), moved.auto_registered), (Some("RSUD"), false));
    let mine = s.list_devices(&DeviceFilter { relay_id: Some(r.id), ..Default::default() }).await.unwrap();
    assert_eq!(mine.len(), 2);

    assert!(!s.take_relay_sync(r.id).await.unwrap());
    s.request_relay_sync(r.id, audit("relay")).await.unwrap();
    assert!(s.relay_by_id(r.id).await.unwrap().sync_requested);
    assert!(s.take_relay_sync(r.id).await.unwrap());
    assert!(!s.take_relay_sync(r.id).await.unwrap());

    let revoked = s.revoke_relay(r.id, audit("relay")).await.unwrap();
    assert!(revoked.revoked);
    assert!(s.relay_by_token(b"relay-hash-1").await.is_err(), "revoked tokens stop working");
    assert_eq!(s.list_relays().await.unwrap().len(), 1);
}

/// Binding, proposals, the pending cap, quarantine outside the chain and discarding.
async fn trust(s: &dyn Store) {
    let d = s.bind_device("T2", Some("10.1.2.0/24"), audit("device")).await.unwrap();
    assert_eq!(d.bound_cidr.as_deref(), Some("10.1.2.0/24"));
    assert_eq!(s.bind_device("T2", None, audit("device")).await.unwrap().bound_cidr, None);
    assert!(matches!(s.bind_device("NOPE", None, audit("d")).await, Err(StoreError::NotFound(_))));

    // The cap counts pending terminals; known serials still call in.
    let pending =
        s.list_devices(&DeviceFilter { state: Some(DeviceState::Pending), ..Default::default() }).await.unwrap().len()
            as u64;
    let capped = |sn: &str| DeviceContact { sn: sn.into(), max_pending: Some(pending + 1), ..Default::default() };
    s.device_contact(&capped("CAP1")).await.unwrap();
    assert!(matches!(s.device_contact(&capped("CAP2")).await, Err(StoreError::Conflict(ref c)) if c == "max_pending"));
    assert!(matches!(s.device_by_sn("CAP2").await, Err(StoreError::NotFound(_))), "nothing stored");
    s.device_contact(&capped("CAP1")).await.unwrap();
    assert!(matches!(
        s.propose_device("CAP3", "SD1", "op", pending + 1, audit("device")).await,
        Err(StoreError::Conflict(ref c)) if c == "max_pending"
    ));
    // A proposal on a pending serial records who proposed it and the unit.
    let d = s.propose_device("CAP1", "SD1", "op", pending + 1, audit("device")).await.unwrap();
    assert_eq!(
        (d.state, d.unit_code.as_deref(), d.proposed_by.as_deref()),
        (DeviceState::Pending, Some("SD1"), Some("op"))
    );
    assert!(matches!(
        s.propose_device("T2", "SD1", "op", 1000, audit("device")).await,
        Err(StoreError::Conflict(ref c)) if c == "sn"
    ));

    // Quarantine: idempotent per serial, PIN and local time; outside the chain.
    let chain = s.verify_chain().await.unwrap().checked;
    let q = |pin: &str, t: &str| QuarantinedPunch {
        id: 0,
        device_sn: "CAP1".into(),
        pin: pin.into(),
        local_time: t.into(),
        timezone: None,
        status: 0,
        verify: 1,
        source: PunchSource::Terminal,
        received_at: Timestamp::from_second(1_764_000_000).unwrap(),
    };
    let batch = [q("1", "2025-11-03T07:00:00"), q("2", "2025-11-03T07:01:00"), q("1", "2025-11-03T07:00:00")];
    assert_eq!(s.quarantine_punches(&batch).await.unwrap(), 2);
    assert_eq!(s.quarantine_punches(&batch[..1]).await.unwrap(), 0);
    assert_eq!(s.device_by_sn("CAP1").await.unwrap().quarantined, 2);
    let held = s.quarantined_punches("CAP1", 10).await.unwrap();
    assert_eq!(held.iter().map(|p| p.pin.as_str()).collect::<Vec<_>>(), ["1", "2"]);
    assert_eq!((held[0].local_time.as_str(), held[0].received_at), ("2025-11-03T07:00:00", batch[0].received_at));
    assert_eq!(s.verify_chain().await.unwrap().checked, chain, "not in the chain");
    assert_eq!(s.delete_quarantined_punches(&[held[0].id]).await.unwrap(), 1);
    assert_eq!(s.quarantined_punches("CAP1", 10).await.unwrap().len(), 1);

    // Discarding: pending only; the punches and the terminal go.
    assert!(matches!(s.discard_device("T2", audit("device")).await, Err(StoreError::Conflict(ref c)) if c == "state"));
    assert_eq!(s.discard_device("CAP1", audit("device")).await.unwrap(), 1);
    assert!(matches!(s.device_by_sn("CAP1").await, Err(StoreError::NotFound(_))));
    assert!(s.quarantined_punches("CAP1", 10).await.unwrap().is_empty());
}

//! The contract story of [`PrivacyStore`] (issue 17, UU 27/2022): purges mark photos,
//! positions and attachments without touching a punch's hashed facts (the chain still verifies),
//! queue only blobs nobody unpurged still names, and are idempotent; the access log lists views
//! newest first, by subject or viewer. Runs last (after the requests story, which attached a
//! file `abc` to a request of `…1001`).

use crate::*;
use jiff::{Timestamp, ToSpan};

fn punch(key: &str, employee_id: Id, at: Timestamp, photo: &str) -> NewPunch {
    NewPunch {
        employee_id: Some(employee_id),
        source: PunchSource::Mobile,
        dedup_key: key.into(),
        punched_at: at,
        received_at: at,
        captured_at: Some(at),
        device_sn: None,
        device_pin: None,
        lat: Some(-3.3194),
        lon: Some(114.5908),
        accuracy_m: Some(8.0),
        distance_m: Some(20.0),
        location_name: Some("Kantor".into()),
        photo_hash: Some(photo.into()),
        note: None,
        review: None,
        review_detail: None,
        status: None,
        verify: None,
        quarantined: false,
        hold: None,
        response: Some("{}".into()),
    }
}

fn view(at: Timestamp, viewer: &Account, subject: Id, kind: AccessKind, item: &str) -> NewAccess {
    NewAccess {
        at,
        viewer_account_id: Some(viewer.id),
        viewer_username: viewer.username.clone(),
        viewer_name: viewer.name.clone(),
        subject_employee_id: subject,
        kind,
        item: item.into(),
    }
}

pub async fn run(s: &dyn Store) {
    let a = s.employee_by_login("198609262015051001").await.unwrap();
    let b = s.employee_by_login("198609262015051002").await.unwrap();
    let (ha, hb) = ("a".repeat(64), "b".repeat(64));
    // Far before every other punch of the story: only these are old enough below.
    let t0: Timestamp = "2019-03-10T01:00:00Z".parse().unwrap();
    let ids: Vec<Id> = s
        .insert_punches(&[
            punch("pdp:1", a.id, t0, &ha),
            punch("pdp:2", a.id, t0 + 24.hours(), &hb),
            // The same photo again three months later. Selfies are refused when reused (see the
            // punch contract); rows stored before that rule, or other channels' photos, may share one.
            NewPunch { source: PunchSource::Terminal, ..punch("pdp:3", a.id, t0 + (24 * 92).hours(), &hb) },
        ])
        .await
        .unwrap()
        .iter()
        .map(|p| p.punch().id)
        .collect();
    let cut: Timestamp = "2019-04-01T00:00:00Z".parse().unwrap();
    let at: Timestamp = "2021-05-01T00:00:00Z".parse().unwrap();

    // Photos: in batches until none is left; hashes stay, markers are set.
    assert_eq!(s.purge_punch_photos(cut, at, 1).await.unwrap(), 1);
    assert_eq!(s.purge_punch_photos(cut, at, 10).await.unwrap(), 1);
    assert_eq!(s.purge_punch_photos(cut, at, 10).await.unwrap(), 0, "a purge is idempotent");
    let p1 = s.punch_by_id(ids[0]).await.unwrap();
    assert_eq!(p1.photo_purged_at, Some(at));
    assert_eq!(p1.p.photo_hash.as_deref(), Some(ha.as_str()), "the hash stays in the row");
    assert_eq!(p1.position_purged_at, None, "photos and positions are purged separately");
    assert_eq!(s.punch_by_id(ids[2]).await.unwrap().photo_purged_at, None);
    // Only the photo nobody unpurged names any more is queued.
    let queued = s.pending_blob_purges(100).await.unwrap();
    assert_eq!(queued, vec![BlobPurge { kind: "photos".into(), hash: ha.clone() }]);

    // Positions: marked, the hashed columns untouched.
    let mut n = 0;
    loop {
        let k = s.purge_punch_positions(cut, at, 1).await.unwrap();
        if k == 0 {
            break;
        }
        n += k;
    }
    assert_eq!(n, 2);
    let p2 = s.punch_by_id(ids[1]).await.unwrap();
    assert_eq!(p2.position_purged_at, Some(at));
    assert_eq!(p2.p.lat, Some(-3.3194));
    assert_eq!(s.punch_by_id(ids[2]).await.unwrap().position_purged_at, None);
    let chain = s.verify_chain().await.unwrap();
    assert_eq!(chain.first_broken, None, "purges keep the chain verifying");

    // The last punch naming hb is purged later: now hb is queued too.
    let later: Timestamp = "2019-07-01T00:00:00Z".parse().unwrap();
    assert_eq!(s.purge_punch_photos(later, at, 10).await.unwrap(), 1);
    let queued = s.pending_blob_purges(100).await.unwrap();
    assert_eq!(queued.len(), 2, "{queued:?}");
    assert!(queued.contains(&BlobPurge { kind: "photos".into(), hash: hb.clone() }));
    // Deleted blobs leave the queue; deleting twice is harmless.
    let gone = BlobPurge { kind: "photos".into(), hash: ha.clone() };
    s.blob_deleted(&gone).await.unwrap();
    s.blob_deleted(&gone).await.unwrap();
    assert_eq!(s.pending_blob_purges(100).await.unwrap(), vec![BlobPurge { kind: "photos".into(), hash: hb.clone() }]);
    s.blob_deleted(&queued[0]).await.unwrap();
    s.blob_deleted(&queued[1]).await.unwrap();

    // Attachments: the requests story's file is purged, the row and hash stay.
    let reqs =
        s.list_requests(&RequestFilter { employee_id: Some(a.id), limit: 100, ..Default::default() }).await.unwrap();
    let with_file = reqs.items.iter().find(|r| !r.attachments.is_empty()).expect("a request with a file");
    assert_eq!(s.purge_attachments(t0, at, 10).await.unwrap(), 0, "nothing uploaded before 2019");
    let far: Timestamp = "2100-01-01T00:00:00Z".parse().unwrap();
    let mut n = 0;
    loop {
        let k = s.purge_attachments(far, at, 10).await.unwrap();
        if k == 0 {
            break;
        }
        n += k;
    }
    assert!(n >= 1);
    let r = s.request_by_id(with_file.id).await.unwrap();
    assert!(r.attachments.iter().all(|x| x.purged_at == Some(at)), "{:?}", r.attachments);
    assert_eq!(r.attachments[0].blob_hash, with_file.attachments[0].blob_hash);
    let queued = s.pending_blob_purges(100).await.unwrap();
    assert!(queued.iter().all(|q| q.kind == "evidence") && !queued.is_empty(), "{queued:?}");
    for q in &queued {
        s.blob_deleted(q).await.unwrap();
    }
    assert!(s.pending_blob_purges(100).await.unwrap().is_empty());

    // The access log: newest first, by subject and by viewer.
    let admin = s.account_by_username("admin").await.unwrap();
    let viewer_b = s.account_by_id(b.account_id).await.unwrap();
    let v0: Timestamp = "2025-11-03T02:00:00Z".parse().unwrap();
    s.record_access(&[
        view(v0, &admin, a.id, AccessKind::Photo, &format!("punch:{}", ids[2])),
        view(v0 + 1.minute(), &viewer_b, a.id, AccessKind::Position, "punches:2025-11-01..2025-11-30"),
    ])
    .await
    .unwrap();
    s.record_access(&[view(v0 + 2.minutes(), &admin, b.id, AccessKind::Evidence, "request:1/attachment:1")])
        .await
        .unwrap();
    s.record_access(&[]).await.unwrap();
    let of_a = s
        .list_access(&AccessFilter { subject_employee_id: Some(a.id), limit: 10, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(of_a.total, 2);
    assert_eq!(of_a.items.iter().map(|e| e.a.kind).collect::<Vec<_>>(), [AccessKind::Position, AccessKind::Photo]);
    assert_eq!(of_a.items[1].a.viewer_name, admin.name);
    assert_eq!(of_a.items[1].a.at, v0);
    let by_admin = s
        .list_access(&AccessFilter { viewer_account_id: Some(admin.id), limit: 1, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(by_admin.total, 2);
    assert_eq!(by_admin.items.len(), 1);
    assert_eq!(by_admin.items[0].a.subject_employee_id, b.id);
    let all = s.list_access(&AccessFilter { limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(all.total, 3);
}

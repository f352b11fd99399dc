//! The contract story of [`RequestStore`]: creation with history and audit, guarded
//! transitions, attachments, the approved inputs of an employee (own, outages up the tree,
//! manual lines), leave-day sums, limits checked inside the transaction and month locks. Runs after the main story (units KAB → DIK →
//! SD1 and RSUD; employees `…1001` in SD1 and `…1002` in RSUD).

use crate::*;
use hadir_domain::{CorrectionFix, DayStatus};
use jiff::Timestamp;
use jiff::civil::date;

fn audit(action: &str) -> Audit {
    Audit::new((None, "contract"), action, "request", "-")
}

fn new_request(kind: &str, employee_id: Option<Id>, unit_id: Id, account: Id) -> NewRequest {
    NewRequest {
        kind: kind.into(),
        state: RequestState::Submitted,
        employee_id,
        unit_id,
        date_from: date(2025, 3, 3),
        date_to: date(2025, 3, 4),
        start_at: None,
        end_at: None,
        reason: "keperluan keluarga".into(),
        checkpoints: vec![],
        decider: Decider::Head,
        days: Some(2),
        punch_id: None,
        lines: vec![],
        submitted_by: account,
        submitted_by_name: "pegawai".into(),
    }
}

fn transition(from: &[RequestState], to: RequestState, action: &str, decision: bool, account: Id) -> Transition {
    Transition {
        from: from.to_vec(),
        to,
        actor_account_id: account,
        actor_name: "kepala".into(),
        action: action.into(),
        comment: Some("ok".into()),
        decision,
        correction: None,
    }
}

pub async fn run(s: &dyn Store) {
    let sd1 = s.unit_by_code("SD1").await.unwrap();
    let rsud = s.unit_by_code("RSUD").await.unwrap();
    let dik = s.unit_by_code("DIK").await.unwrap();
    let a = s.employee_by_login("198609262015051001").await.unwrap();
    let b = s.employee_by_login("198609262015051002").await.unwrap();

    // Create: history has create + submit, audit has the request.
    let r = s
        .create_request(&new_request("CUTI_TAHUNAN", Some(a.id), sd1.id, a.account_id), audit("create"))
        .await
        .unwrap();
    assert_eq!(r.state, RequestState::Submitted);
    assert_eq!(r.unit_code, "SD1");
    assert_eq!(r.employee_login.as_deref(), Some("198609262015051001"));
    assert_eq!(r.history.iter().map(|h| h.action.as_str()).collect::<Vec<_>>(), ["create", "submit"]);
    let trail = s.list_audit(Some("request"), 0, 10).await.unwrap();
    assert!(trail.items.iter().any(|e| e.entity_id == r.id.to_string()));

    // Pending days count; approved later.
    assert_eq!(s.request_days(a.id, "CUTI_TAHUNAN", 2025, &[RequestState::Submitted]).await.unwrap(), 2);
    assert_eq!(s.request_days(a.id, "CUTI_TAHUNAN", 2024, &[RequestState::Submitted]).await.unwrap(), 0);

    // Attachments are listed with the request and noted in its history.
    let att = s
        .add_attachment(
            r.id,
            &NewAttachment {
                blob_hash: "abc".into(),
                mime: "application/pdf".into(),
                size: 10,
                filename: "surat.pdf".into(),
                uploaded_by: a.account_id,
            },
            audit("attach"),
        )
        .await
        .unwrap();
    let got = s.request_by_id(r.id).await.unwrap();
    assert_eq!(got.attachments, vec![att]);

    // Guarded transitions: approve once; a second decision is a conflict.
    let ok = s
        .transition_request(
            r.id,
            &transition(&[RequestState::Submitted], RequestState::Approved, "approve", true, a.account_id),
            audit("decide"),
        )
        .await
        .unwrap();
    assert_eq!(ok.state, RequestState::Approved);
    assert_eq!(ok.decided_by_name.as_deref(), Some("kepala"));
    assert!(ok.decided_at.is_some());
    let again = s
        .transition_request(
            r.id,
            &transition(&[RequestState::Submitted], RequestState::Rejected, "reject", true, a.account_id),
            audit("decide"),
        )
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    assert_eq!(s.request_days(a.id, "CUTI_TAHUNAN", 2025, &[RequestState::Approved]).await.unwrap(), 2);

    // Objection with a correction round-trips.
    let k =
        s.create_request(&new_request("KEBERATAN", Some(a.id), sd1.id, a.account_id), audit("create")).await.unwrap();
    let mut t = transition(&[RequestState::Submitted], RequestState::Approved, "approve", true, a.account_id);
    t.correction = Some(CorrectionFix::Status { status: DayStatus::Hadir });
    let k = s.transition_request(k.id, &t, audit("decide")).await.unwrap();
    assert_eq!(k.correction, t.correction);

    // An outage of DIK applies to SD1 (below it), not to RSUD; manual lines only for their employee.
    let mut o = new_request("OUTAGE", None, dik.id, b.account_id);
    o.start_at = Some(Timestamp::from_second(1_740_960_000).unwrap());
    o.end_at = Some(Timestamp::from_second(1_740_967_200).unwrap());
    let o = s.create_request(&o, audit("create")).await.unwrap();
    let mut m = new_request("MANUAL", None, rsud.id, b.account_id);
    m.lines = vec![
        RequestLine { employee_id: b.id, at: Timestamp::from_second(1_740_960_000).unwrap(), checkpoint: None },
        RequestLine {
            employee_id: a.id,
            at: Timestamp::from_second(1_740_961_000).unwrap(),
            checkpoint: Some("masuk".into()),
        },
    ];
    let m = s.create_request(&m, audit("create")).await.unwrap();
    assert_eq!(m.lines.len(), 2);
    for id in [o.id, m.id] {
        s.transition_request(
            id,
            &transition(&[RequestState::Submitted], RequestState::Approved, "approve", true, a.account_id),
            audit("d"),
        )
        .await
        .unwrap();
    }
    let for_a = s.approved_requests_for(a.id, &sd1.path, date(2025, 3, 1), date(2025, 3, 31)).await.unwrap();
    let kinds: Vec<&str> = for_a.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(kinds, ["CUTI_TAHUNAN", "KEBERATAN", "OUTAGE", "MANUAL"]);
    assert_eq!(for_a[3].lines.len(), 1);
    assert_eq!(for_a[3].lines[0].employee_id, a.id);
    let for_b = s.approved_requests_for(b.id, &rsud.path, date(2025, 3, 1), date(2025, 3, 31)).await.unwrap();
    assert_eq!(for_b.iter().map(|r| r.kind.as_str()).collect::<Vec<_>>(), ["MANUAL"]);
    let none = s.approved_requests_for(a.id, &sd1.path, date(2025, 4, 1), date(2025, 4, 30)).await.unwrap();
    assert!(none.is_empty());

    // Lists: filters by state, mine, subtree, and excluding one's own.
    let mine = s
        .list_requests(&RequestFilter { mine: Some((Some(a.id), a.account_id)), limit: 50, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(mine.total, 2);
    let in_dik = s
        .list_requests(&RequestFilter { unit_paths: Some(vec![dik.path.clone()]), limit: 50, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(in_dik.total, 3);
    let not_own = s
        .list_requests(&RequestFilter {
            unit_paths: Some(vec![dik.path.clone()]),
            exclude_own: Some((Some(a.id), a.account_id)),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(not_own.total, 1);
    let pending = s
        .list_requests(&RequestFilter { state: Some(RequestState::Submitted), limit: 50, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(pending.total, 0);

    // Month locks: global or per subtree.
    assert!(!s.is_month_locked("2025-03", &sd1.path).await.unwrap());
    s.lock_month("2025-03", Some(dik.id), audit("lock")).await.unwrap();
    s.lock_month("2025-03", Some(dik.id), audit("lock")).await.unwrap();
    assert!(s.is_month_locked("2025-03", &sd1.path).await.unwrap());
    assert!(!s.is_month_locked("2025-03", &rsud.path).await.unwrap());
    s.lock_month("2025-04", None, audit("lock")).await.unwrap();
    assert!(s.is_month_locked("2025-04", &rsud.path).await.unwrap());

    limits_hold_inside_the_transaction(s, &b, rsud.id).await;
}

/// Issue 17: a days limit counts the submitted and approved requests of the employee, kind and
/// year; drafts, other kinds and other years do not count; a refusal writes nothing. The
/// attachment count is refused whole. (Employee `…1002`, year 2024: nothing else uses them.)
async fn limits_hold_inside_the_transaction(s: &dyn Store, b: &Employee, unit_id: Id) {
    let leave = |days: i64, state: RequestState| {
        let mut n = new_request("CUTI_TAHUNAN", Some(b.id), unit_id, b.account_id);
        n.date_from = date(2024, 5, 6);
        n.date_to = date(2024, 5, 7);
        n.days = Some(days);
        n.state = state;
        n
    };
    let limit = Some(DaysLimit { year: 2024, max_days: 5 });
    let first = s.create_request_within(&leave(3, RequestState::Submitted), limit, audit("create")).await.unwrap();
    let over = s.create_request_within(&leave(3, RequestState::Submitted), limit, audit("create")).await;
    assert!(
        matches!(over, Err(StoreError::LimitExceeded { limit: LIMIT_LEAVE_DAYS, in_use: 3, requested: 3, max: 5 })),
        "{over:?}"
    );
    let mine =
        RequestFilter { employee_id: Some(b.id), kind: Some("CUTI_TAHUNAN".into()), limit: 50, ..Default::default() };
    assert_eq!(s.list_requests(&mine).await.unwrap().total, 1, "the refused request left nothing");
    // Another year and another kind are not counted; a draft is not counted until submitted.
    let other_year = Some(DaysLimit { year: 2023, max_days: 0 });
    let mut sick = leave(3, RequestState::Submitted);
    sick.kind = "CUTI_SAKIT".into();
    s.create_request_within(&sick, limit, audit("create")).await.unwrap();
    let draft = s.create_request_within(&leave(3, RequestState::Draft), limit, audit("create")).await.unwrap();
    let submit = transition(&[RequestState::Draft], RequestState::Submitted, "submit", false, b.account_id);
    let refused = s.transition_request_within(draft.id, &submit, limit, audit("submit")).await;
    assert!(matches!(refused, Err(StoreError::LimitExceeded { in_use: 3, requested: 3, .. })), "{refused:?}");
    assert_eq!(s.request_by_id(draft.id).await.unwrap().state, RequestState::Draft);
    // Approved requests count too; a cancelled one frees its days.
    s.transition_request(
        first.id,
        &transition(&[RequestState::Submitted], RequestState::Approved, "approve", true, b.account_id),
        audit("d"),
    )
    .await
    .unwrap();
    assert!(s.transition_request_within(draft.id, &submit, limit, audit("submit")).await.is_err());
    s.transition_request(
        first.id,
        &transition(&[RequestState::Approved], RequestState::Cancelled, "cancel", false, b.account_id),
        audit("c"),
    )
    .await
    .unwrap();
    let ok = s.transition_request_within(draft.id, &submit, limit, audit("submit")).await.unwrap();
    assert_eq!(ok.state, RequestState::Submitted);
    assert!(s.create_request_within(&leave(1, RequestState::Submitted), other_year, audit("c")).await.is_ok());

    // Attachments: refused whole beyond the limit, nothing added, no history.
    let att = |n: usize| NewAttachment {
        blob_hash: format!("limit{n}"),
        mime: "application/pdf".into(),
        size: 1,
        filename: format!("s{n}.pdf"),
        uploaded_by: b.account_id,
    };
    let two: Vec<NewAttachment> = (0..2).map(att).collect();
    assert_eq!(s.add_attachments(ok.id, &two, 3, audit("attach")).await.unwrap().len(), 2);
    let over = s.add_attachments(ok.id, &two, 3, audit("attach")).await;
    assert!(
        matches!(over, Err(StoreError::LimitExceeded { limit: LIMIT_ATTACHMENTS, in_use: 2, requested: 2, max: 3 })),
        "{over:?}"
    );
    let r = s.request_by_id(ok.id).await.unwrap();
    assert_eq!(r.attachments.len(), 2);
    assert_eq!(r.history.iter().filter(|h| h.action == "attach").count(), 2);
    assert_eq!(s.add_attachments(ok.id, &two[..1], 3, audit("attach")).await.unwrap().len(), 1);
}

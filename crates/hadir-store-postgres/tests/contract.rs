//! The shared store story, and the concurrency the PostgreSQL backend promises, on a real
//! PostgreSQL (`HADIR_TEST_PG_URL`; each test creates its own database).

use hadir_store::*;
use hadir_store_postgres::PgStore;
use hadir_store_postgres::testing::fresh_test_database;
use jiff::Timestamp;
use std::sync::Arc;

async fn fresh_store() -> Option<PgStore> {
    let url = fresh_test_database().await?;
    Some(PgStore::connect(&url).await.expect("connect to the fresh test database"))
}

#[tokio::test]
async fn postgres_passes_the_store_contract() {
    let Some(store) = fresh_store().await else { return };
    hadir_store::contract::run(&store).await;
}

fn mobile_punch(key: &str, employee_id: Id, at: Timestamp) -> NewPunch {
    NewPunch {
        employee_id: Some(employee_id),
        source: PunchSource::Mobile,
        dedup_key: key.into(),
        punched_at: at,
        received_at: at,
        captured_at: Some(at),
        device_sn: None,
        device_pin: None,
        lat: Some(-0.5),
        lon: Some(117.1),
        accuracy_m: Some(8.0),
        distance_m: Some(3.0),
        location_name: Some("Kantor".into()),
        photo_hash: None,
        note: None,
        review: None,
        review_detail: None,
        status: None,
        verify: None,
        quarantined: false,
        hold: None,
        response: Some(format!("{{\"key\":\"{key}\"}}")),
    }
}

async fn one_employee(s: &dyn Store) -> Employee {
    let audit = || Audit::new((None, "test"), "create", "x", "-");
    s.create_unit(
        &NewUnit {
            code: "KAB".into(),
            name: "Kabupaten".into(),
            parent_code: None,
            timezone: "Asia/Makassar".into(),
            locations: vec![],
        },
        audit(),
    )
    .await
    .unwrap();
    s.create_employee(
        &NewEmployee {
            nip: Some("198609262015051002".into()),
            login: "198609262015051002".into(),
            name: "Pegawai".into(),
            category: Category::Pns,
            unit_code: "KAB".into(),
            position: None,
            tpp_base: None,
            device_pin: Some("7".into()),
            start_date: None,
            password_hash: "h".into(),
        },
        audit(),
    )
    .await
    .unwrap()
}

/// Many connections append at once, half of them retrying the same idempotency key: each key
/// is stored once, every caller of a key gets the same punch, and the chain verifies.
#[tokio::test]
async fn concurrent_appends_keep_one_punch_per_key_and_one_chain() {
    let Some(first) = fresh_store().await else { return };
    let emp = one_employee(&first).await;
    // Several independent pools: as if several server instances shared the database.
    let url = hadir_store_postgres::testing::with_database(
        &std::env::var("HADIR_TEST_PG_URL").unwrap(),
        &sqlx::query_scalar::<_, String>("SELECT current_database()").fetch_one(first.pool()).await.unwrap(),
    );
    let mut stores: Vec<Arc<PgStore>> = vec![Arc::new(first)];
    for _ in 0..3 {
        stores.push(Arc::new(PgStore::connect_with(&url, 8).await.unwrap()));
    }
    let t0 = Timestamp::from_second(1_764_000_000).unwrap();
    let mut tasks = Vec::new();
    for i in 0..64u32 {
        let s = stores[i as usize % stores.len()].clone();
        tasks.push(tokio::spawn(async move {
            // 32 callers race on one key; the other 32 each bring their own and a shared one.
            let batch = if i % 2 == 0 {
                vec![mobile_punch("m:1:same", emp.id, t0)]
            } else {
                vec![mobile_punch(&format!("m:1:own-{i}"), emp.id, t0), mobile_punch("m:1:pair", emp.id, t0)]
            };
            s.insert_punches(&batch).await.unwrap()
        }));
    }
    let mut same = Vec::new();
    let mut inserted_same = 0;
    for t in tasks {
        for r in t.await.unwrap() {
            if r.punch().p.dedup_key == "m:1:same" {
                if matches!(r, PunchInsert::Inserted(_)) {
                    inserted_same += 1;
                }
                same.push(r.punch().clone());
            }
        }
    }
    assert_eq!(inserted_same, 1, "exactly one caller inserts the shared key");
    assert_eq!(same.len(), 32);
    assert!(same.iter().all(|p| p == &same[0]), "every caller gets the same punch");
    let s = &stores[0];
    let all = s.list_punches(&PunchFilter { include_quarantined: true, ..Default::default() }).await.unwrap();
    assert_eq!(all.len(), 1 + 1 + 32, "one shared, one pair, 32 own keys");
    let report = s.verify_chain().await.unwrap();
    assert_eq!(report, ChainReport { checked: 34, first_broken: None });
}

/// Raw punches refuse deletes and edits of their facts, as in SQLite (and more strictly).
#[tokio::test]
async fn punches_are_append_only_in_the_database() {
    let Some(s) = fresh_store().await else { return };
    let emp = one_employee(&s).await;
    let t0 = Timestamp::from_second(1_764_000_000).unwrap();
    s.insert_punches(&[mobile_punch("m:1:a", emp.id, t0)]).await.unwrap();
    assert!(sqlx::query("DELETE FROM punches").execute(s.pool()).await.is_err());
    assert!(sqlx::query("UPDATE punches SET punched_at = punched_at + 1").execute(s.pool()).await.is_err());
    assert!(sqlx::query("DELETE FROM audit_log").execute(s.pool()).await.is_err());
    // Derived columns stay editable.
    sqlx::query("UPDATE punches SET review = 'x'").execute(s.pool()).await.unwrap();
}

/// Recompute claims from several instances never hand out the same pair twice.
#[tokio::test]
async fn recompute_claims_do_not_overlap() {
    let Some(s) = fresh_store().await else { return };
    let emp = one_employee(&s).await;
    let from: jiff::civil::Date = "2025-11-01".parse().unwrap();
    let to: jiff::civil::Date = "2025-11-30".parse().unwrap();
    s.enqueue_recompute_range(&RecomputeTarget::Employees(vec![emp.id]), from, to).await.unwrap();
    let s = Arc::new(s);
    let now = Timestamp::now();
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.claim_recompute(7, now, now + jiff::SignedDuration::from_mins(5)).await.unwrap()
        }));
    }
    let mut got = Vec::new();
    for t in tasks {
        got.extend(t.await.unwrap());
    }
    let mut dates: Vec<_> = got.iter().map(|j| j.date).collect();
    dates.sort();
    let n = dates.len();
    dates.dedup();
    assert_eq!(dates.len(), n, "a pair was claimed twice");
    assert_eq!(n, 30);
}

/// Concurrent polls of one terminal (as from two instances) never hand out a command twice,
/// and concurrent claims of one job period have one winner.
#[tokio::test]
async fn commands_and_jobs_are_handed_out_once() {
    let Some(s) = fresh_store().await else { return };
    one_employee(&s).await;
    let audit = Audit::new((None, "test"), "create", "device", "-");
    s.register_device(&NewDevice { sn: "T1".into(), unit_code: "KAB".into(), timezone: None }, audit).await.unwrap();
    let cmds: Vec<String> = (0..40).map(|i| format!("DATA UPDATE USERINFO PIN={i}")).collect();
    s.queue_device_commands("T1", &cmds, None).await.unwrap();
    let s = Arc::new(s);
    let now = Timestamp::now();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let polled = s.take_device_commands("T1", 7, now, &|c: &[DeviceCommand]| c.len()).await.unwrap();
            let won = s
                .claim_job("day_close_sweep", "42", &format!("i{i}"), now, now + jiff::SignedDuration::from_mins(1))
                .await
                .unwrap();
            (polled, won)
        }));
    }
    let mut ids = Vec::new();
    let mut winners = 0;
    for t in tasks {
        let (polled, won) = t.await.unwrap();
        ids.extend(polled.iter().map(|c| c.id));
        winners += won as usize;
    }
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "a command was handed out twice");
    assert_eq!(n, 40);
    assert_eq!(winners, 1);
}

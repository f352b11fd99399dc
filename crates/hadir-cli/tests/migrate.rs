//! `hadir migrate-data`: an installation filled by the whole store story on SQLite moves to a
//! fresh PostgreSQL database with the same ids, the same reads, a chain that verifies, and
//! sequences that continue after the copied rows. Needs `HADIR_TEST_PG_URL` (skipped without it,
//! unless `HADIR_REQUIRE_PG` is set).

use hadir_store::*;
use std::process::Command;

mod common;

use common::BIN;

async fn snapshot(s: &dyn Store) -> String {
    let units = s.list_units(&Scope::All).await.unwrap();
    let f = EmployeeFilter { limit: 10_000, ..Default::default() };
    let employees = s.list_employees(&Scope::All, &f).await.unwrap().items;
    let punches =
        s.list_punches(&PunchFilter { include_quarantined: true, limit: 100_000, ..Default::default() }).await.unwrap();
    let audit = s.list_audit(None, 0, 10_000).await.unwrap();
    let requests = s.list_requests(&RequestFilter { limit: 10_000, ..Default::default() }).await.unwrap();
    let mut days = Vec::new();
    for e in &employees {
        days.push(s.day_records(e.id, jiff::civil::date(2000, 1, 1), jiff::civil::date(2099, 12, 31)).await.unwrap());
    }
    format!("{units:?}\n{employees:?}\n{punches:?}\n{audit:?}\n{requests:?}\n{days:?}")
}

#[tokio::test]
async fn sqlite_to_postgres_keeps_everything() {
    let Some(to) = hadir_store_postgres::testing::fresh_test_database().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hadir.db");
    let from = format!("sqlite://{}", db.display());
    let before = {
        let src = hadir_store_sqlite::SqliteStore::open(&db).await.unwrap();
        hadir_store::contract::run(&src).await;
        let snap = snapshot(&src).await;
        (snap, src.verify_chain().await.unwrap())
    };
    assert!(before.1.checked > 0);

    let out = Command::new(BIN).args(["migrate-data", "--from", &from, "--to", &to]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains(&format!("rantai absen terverifikasi: {} tautan", before.1.checked)), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("punches ")), "{stdout}");

    let pg = hadir_store_postgres::PgStore::connect(&to).await.unwrap();
    assert_eq!(snapshot(&pg).await, before.0, "every read is the same on the target");
    let chain = pg.verify_chain().await.unwrap();
    assert_eq!((chain.checked, chain.first_broken), (before.1.checked, None));

    // The target goes on: new rows get new ids after the copied ones, and extend the chain.
    let last = pg
        .list_punches(&PunchFilter { include_quarantined: true, limit: 100_000, ..Default::default() })
        .await
        .unwrap()
        .iter()
        .map(|p| p.id)
        .max()
        .unwrap();
    let mut p = pg
        .list_punches(&PunchFilter { include_quarantined: true, limit: 1, ..Default::default() })
        .await
        .unwrap()
        .remove(0)
        .p;
    p.dedup_key = "after-migration".into();
    // A new punch has its own selfie (a stored photo under another key is refused).
    p.photo_hash = None;
    let inserted = pg.insert_punches(&[p]).await.unwrap();
    match &inserted[0] {
        PunchInsert::Inserted(n) => assert!(n.id > last, "{} after {last}", n.id),
        other => panic!("{other:?}"),
    }
    assert_eq!(pg.verify_chain().await.unwrap().checked, before.1.checked + 1);
    let u = pg
        .create_unit(
            &NewUnit {
                code: "BARU".into(),
                name: "Unit baru".into(),
                parent_code: None,
                timezone: "Asia/Jakarta".into(),
                locations: vec![],
            },
            Audit::new((None, "test"), "create", "unit", "BARU"),
        )
        .await
        .unwrap();
    assert!(pg.list_units(&Scope::All).await.unwrap().iter().all(|x| x.id <= u.id));

    // A target that holds data is refused, and left as it was.
    let again = Command::new(BIN).args(["migrate-data", "--from", &from, "--to", &to]).output().unwrap();
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("not empty"), "{err}");
    assert_eq!(pg.verify_chain().await.unwrap().checked, before.1.checked + 1);
}

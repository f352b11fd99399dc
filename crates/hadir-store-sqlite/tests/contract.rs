//! The shared store story on a real SQLite file.

#[tokio::test]
async fn sqlite_passes_the_store_contract() {
    let dir = tempfile::tempdir().unwrap();
    let store = hadir_store_sqlite::SqliteStore::open(&dir.path().join("hadir.db")).await.unwrap();
    hadir_store::contract::run(&store).await;
}

#[tokio::test]
async fn backup_writes_a_usable_copy() {
    let dir = tempfile::tempdir().unwrap();
    let store = hadir_store_sqlite::SqliteStore::open(&dir.path().join("a.db")).await.unwrap();
    use hadir_store::AccountStore;
    store.create_admin("admin", "Admin", "h").await.unwrap();
    let copy = dir.path().join("b.db");
    store.backup_to(&copy).await.unwrap();
    let restored = hadir_store_sqlite::SqliteStore::open(&copy).await.unwrap();
    assert_eq!(restored.account_by_username("admin").await.unwrap().name, "Admin");
}

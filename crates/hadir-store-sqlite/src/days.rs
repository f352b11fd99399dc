use crate::SqliteStore;
use async_trait::async_trait;
use hadir_store::DayStore;

#[async_trait]
impl DayStore for SqliteStore {}

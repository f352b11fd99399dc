use crate::SqliteStore;
use async_trait::async_trait;
use hadir_store::DeviceStore;

#[async_trait]
impl DeviceStore for SqliteStore {}

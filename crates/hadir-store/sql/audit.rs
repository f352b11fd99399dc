use super::{Conn, Store, db_err, ms, ts};
use async_trait::async_trait;
use hadir_store::{Audit, AuditEntry, AuditStore, Page, Result};
use sqlx::Row;

/// Appends an audit record inside the caller's transaction.
pub(crate) async fn write_audit(conn: &mut Conn, a: &Audit) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor_account_id, actor_name, action, entity, entity_id, before_json, after_json)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(ms(jiff::Timestamp::now()))
    .bind(a.actor_account_id)
    .bind(&a.actor_name)
    .bind(&a.action)
    .bind(&a.entity)
    .bind(&a.entity_id)
    .bind(a.before.as_ref().map(|v| v.to_string()))
    .bind(a.after.as_ref().map(|v| v.to_string()))
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

#[async_trait]
impl AuditStore for Store {
    async fn append_audit(&self, audit: Audit) -> Result<()> {
        let mut conn = self.write.acquire().await.map_err(db_err)?;
        write_audit(&mut conn, &audit).await
    }

    async fn list_audit(&self, entity: Option<&str>, offset: u32, limit: u32) -> Result<Page<AuditEntry>> {
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE ($1 IS NULL OR entity = $1)")
            .bind(entity)
            .fetch_one(&self.read)
            .await
            .map_err(db_err)?;
        let rows = sqlx::query(
            "SELECT id, at, actor_account_id, actor_name, action, entity, entity_id, before_json, after_json
             FROM audit_log WHERE ($1 IS NULL OR entity = $1) ORDER BY id DESC LIMIT $2 OFFSET $3",
        )
        .bind(entity)
        .bind(limit as i64)
        .bind(offset as i64)
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        let items = rows
            .into_iter()
            .map(|r| AuditEntry {
                id: r.get("id"),
                at: ts(r.get("at")),
                actor_account_id: r.get("actor_account_id"),
                actor_name: r.get("actor_name"),
                action: r.get("action"),
                entity: r.get("entity"),
                entity_id: r.get("entity_id"),
                before: parse(r.get("before_json")),
                after: parse(r.get("after_json")),
            })
            .collect();
        Ok(Page { items, total: total as u64, offset, limit })
    }
}

use super::{Conn, Store, db_err, ms, ts};
use async_trait::async_trait;
use hadir_store::{Audit, AuditEntry, AuditFilter, AuditStore, Page, Result};
use sqlx::{QueryBuilder, Row};

/// The WHERE clause of an [`AuditFilter`] (after `WHERE TRUE`).
fn push_filter(qb: &mut QueryBuilder<super::Db>, f: &AuditFilter) {
    if let Some(e) = &f.entity {
        qb.push(" AND entity = ").push_bind(e.clone());
    }
    if let Some(a) = &f.action {
        qb.push(" AND action = ").push_bind(a.clone());
    }
    if let Some(p) = f.person.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        let like = format!("%{}%", p.to_lowercase().replace(['%', '_'], ""));
        qb.push(" AND (LOWER(actor_name) LIKE ").push_bind(like.clone());
        qb.push(" OR actor_account_id IN (SELECT id FROM accounts WHERE LOWER(name) LIKE ").push_bind(like.clone());
        qb.push(") OR (entity IN ('employee', 'account') AND entity_id IN (SELECT login FROM employees WHERE LOWER(name) LIKE ")
            .push_bind(like);
        qb.push(" OR nip = ").push_bind(p.to_string());
        qb.push(" OR login = ").push_bind(p.to_string());
        qb.push(")))");
    }
    if let Some(path) = &f.unit_path {
        let prefix = format!("{path}%");
        qb.push(" AND ((entity IN ('employee', 'account') AND entity_id IN (SELECT e.login FROM employees e JOIN units u ON u.id = e.unit_id WHERE u.path LIKE ")
            .push_bind(prefix.clone());
        qb.push(")) OR (entity = 'unit' AND entity_id IN (SELECT code FROM units WHERE path LIKE ").push_bind(prefix);
        qb.push(")))");
    }
    if let Some(t) = f.from {
        qb.push(" AND at >= ").push_bind(ms(t));
    }
    if let Some(t) = f.to {
        qb.push(" AND at < ").push_bind(ms(t));
    }
}

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

    async fn search_audit(&self, f: &AuditFilter, offset: u32, limit: u32) -> Result<Page<AuditEntry>> {
        let mut qb = QueryBuilder::<super::Db>::new("SELECT COUNT(*) FROM audit_log WHERE TRUE");
        push_filter(&mut qb, f);
        let total: i64 = qb.build_query_scalar().fetch_one(&self.read).await.map_err(db_err)?;
        let mut qb = QueryBuilder::<super::Db>::new(
            "SELECT id, at, actor_account_id, actor_name, action, entity, entity_id, before_json, after_json
             FROM audit_log WHERE TRUE",
        );
        push_filter(&mut qb, f);
        // LIMIT/OFFSET as literals: see `punches::list_punches`.
        qb.push(format_args!(" ORDER BY id DESC LIMIT {} OFFSET {}", limit as i64, offset as i64));
        let rows = qb.build().fetch_all(&self.read).await.map_err(db_err)?;
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

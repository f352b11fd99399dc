//! Office QR kiosks and the server secrets their codes are signed with (issue 21).

use super::audit::write_audit;
use super::{Conn, Db, DbRow, Store, db_err, ms, not_found, ts};
use async_trait::async_trait;
use hadir_store::*;
use jiff::Timestamp;
use sqlx::{AssertSqlSafe, QueryBuilder, Row};

const KIOSK_SELECT: &str = "SELECT k.id, k.name, k.unit_id, u.code AS unit_code, u.name AS unit_name,
    u.path AS unit_path, u.timezone AS unit_timezone, k.revoked, k.created_at, k.created_by
    FROM kiosks k JOIN units u ON u.id = k.unit_id";

fn kiosk_row(r: &DbRow) -> Kiosk {
    Kiosk {
        id: r.get("id"),
        name: r.get("name"),
        unit_id: r.get("unit_id"),
        unit_code: r.get("unit_code"),
        unit_name: r.get("unit_name"),
        unit_path: r.get("unit_path"),
        unit_timezone: r.get("unit_timezone"),
        revoked: r.get::<bool, _>("revoked"),
        created_at: ts(r.get("created_at")),
        created_by: r.get("created_by"),
    }
}

async fn load_kiosk(conn: &mut Conn, id: Id) -> Result<Kiosk> {
    let sql = format!("{KIOSK_SELECT} WHERE k.id = $1");
    let r = sqlx::query(AssertSqlSafe(sql)).bind(id).fetch_one(conn).await.map_err(not_found("kiosk"))?;
    Ok(kiosk_row(&r))
}

#[async_trait]
impl KioskStore for Store {
    async fn create_kiosk(&self, name: &str, unit_id: Id, token_hash: &[u8], audit: Audit) -> Result<Kiosk> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let id: Id = sqlx::query_scalar(
            "INSERT INTO kiosks (name, unit_id, token_hash, created_at, created_by) VALUES ($1, $2, $3, $4, $5)
             RETURNING id",
        )
        .bind(name)
        .bind(unit_id)
        .bind(token_hash)
        .bind(ms(Timestamp::now()))
        .bind(audit.actor_account_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let kiosk = load_kiosk(&mut tx, id).await?;
        let mut audit = audit.after(serde_json::json!({"id": id, "name": name, "unit_code": kiosk.unit_code.clone()}));
        audit.entity_id = id.to_string();
        write_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(kiosk)
    }

    async fn kiosk_by_token(&self, token_hash: &[u8]) -> Result<Kiosk> {
        let sql = format!("{KIOSK_SELECT} WHERE k.token_hash = $1 AND NOT k.revoked");
        let r =
            sqlx::query(AssertSqlSafe(sql)).bind(token_hash).fetch_one(&self.read).await.map_err(not_found("kiosk"))?;
        Ok(kiosk_row(&r))
    }

    async fn kiosk_by_id(&self, id: Id) -> Result<Kiosk> {
        let mut conn = self.read.acquire().await.map_err(db_err)?;
        load_kiosk(&mut conn, id).await
    }

    async fn revoke_kiosk(&self, id: Id, audit: Audit) -> Result<Kiosk> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        load_kiosk(&mut tx, id).await?;
        sqlx::query("UPDATE kiosks SET revoked = TRUE WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let kiosk = load_kiosk(&mut tx, id).await?;
        write_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(kiosk)
    }

    async fn list_kiosks(&self, subtrees: Option<&[String]>) -> Result<Vec<Kiosk>> {
        let mut qb: QueryBuilder<Db> = QueryBuilder::new(KIOSK_SELECT);
        if let Some(paths) = subtrees {
            qb.push(" WHERE (FALSE");
            for p in paths {
                qb.push(" OR u.path LIKE ").push_bind(format!("{p}%"));
            }
            qb.push(")");
        }
        qb.push(" ORDER BY k.id");
        let rows = qb.build().fetch_all(&self.read).await.map_err(db_err)?;
        Ok(rows.iter().map(kiosk_row).collect())
    }

    async fn server_secret(&self, name: &str, fresh: &[u8]) -> Result<Vec<u8>> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        sqlx::query(
            "INSERT INTO server_secrets (name, secret, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(fresh)
        .bind(ms(Timestamp::now()))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let secret: Vec<u8> = sqlx::query_scalar("SELECT secret FROM server_secrets WHERE name = $1")
            .bind(name)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(secret)
    }

    async fn qr_card_version(&self, employee_id: Id) -> Result<Option<i64>> {
        sqlx::query_scalar("SELECT version FROM qr_cards WHERE employee_id = $1")
            .bind(employee_id)
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)
    }

    async fn issue_qr_card(&self, employee_id: Id, audit: Audit) -> Result<i64> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let before: Option<i64> = sqlx::query_scalar("SELECT version FROM qr_cards WHERE employee_id = $1")
            .bind(employee_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        let version: i64 = sqlx::query_scalar(
            "INSERT INTO qr_cards (employee_id, version, issued_at, issued_by) VALUES ($1, 1, $2, $3)
             ON CONFLICT (employee_id) DO UPDATE SET version = qr_cards.version + 1, issued_at = $2, issued_by = $3
             RETURNING version",
        )
        .bind(employee_id)
        .bind(ms(Timestamp::now()))
        .bind(audit.actor_account_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let audit = audit.before(serde_json::json!({"version": before})).after(serde_json::json!({"version": version}));
        write_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(version)
    }

    async fn reserve_colleague_slot(&self, witness_id: Id, day: &str, cap: u32, key: &str) -> Result<Option<i64>> {
        let held: Option<i64> = sqlx::query_scalar(
            "SELECT slot FROM colleague_slots WHERE witness_id = $1 AND day = $2 AND punch_key = $3",
        )
        .bind(witness_id)
        .bind(day)
        .bind(key)
        .fetch_optional(&self.write)
        .await
        .map_err(db_err)?;
        if held.is_some() {
            return Ok(held);
        }
        for slot in 1..=i64::from(cap) {
            let n = sqlx::query(
                "INSERT INTO colleague_slots (witness_id, day, slot, punch_key) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (witness_id, day, slot) DO NOTHING",
            )
            .bind(witness_id)
            .bind(day)
            .bind(slot)
            .bind(key)
            .execute(&self.write)
            .await
            .map_err(db_err)?
            .rows_affected();
            if n == 1 {
                return Ok(Some(slot));
            }
        }
        Ok(None)
    }

    async fn release_colleague_slot(&self, witness_id: Id, day: &str, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM colleague_slots WHERE witness_id = $1 AND day = $2 AND punch_key = $3")
            .bind(witness_id)
            .bind(day)
            .bind(key)
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(())
    }
}

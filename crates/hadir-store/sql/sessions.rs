//! Apel and upacara sessions and their attendance (issue 21 point 3).

use super::audit::write_audit;
use super::{Conn, Db, DbRow, Store, db_err, ms, not_found, ts};
use crate::dialect::push_in_ids;
use async_trait::async_trait;
use hadir_store::*;
use jiff::Timestamp;
use sqlx::{AssertSqlSafe, QueryBuilder, Row};

const SESSION_SELECT: &str = "SELECT s.id, s.kind, s.name, s.date, s.start_time, s.end_time, s.unit_id,
    u.code AS unit_code, u.path AS unit_path, u.timezone AS unit_timezone, s.lat, s.lon, s.radius_m, s.qr,
    s.mandatory, s.cancelled, s.created_at, s.created_by
    FROM apel_sessions s JOIN units u ON u.id = s.unit_id";

fn session_row(r: &DbRow) -> Result<StoredSession> {
    let date: String = r.get("date");
    Ok(StoredSession {
        id: r.get("id"),
        s: NewSession {
            kind: r.get("kind"),
            name: r.get("name"),
            date: date.parse().map_err(|e| StoreError::Backend(format!("bad session date {date}: {e}")))?,
            start: r.get("start_time"),
            end: r.get("end_time"),
            unit_id: r.get("unit_id"),
            unit_ids: Vec::new(),
            lat: r.get("lat"),
            lon: r.get("lon"),
            radius_m: r.get("radius_m"),
            qr: r.get::<bool, _>("qr"),
            mandatory: r.get::<bool, _>("mandatory"),
        },
        unit_code: r.get("unit_code"),
        unit_path: r.get("unit_path"),
        unit_timezone: r.get("unit_timezone"),
        target_paths: Vec::new(),
        target_codes: Vec::new(),
        cancelled: r.get::<bool, _>("cancelled"),
        created_at: ts(r.get("created_at")),
        created_by: r.get("created_by"),
    })
}

/// Fills in the units of each session.
async fn with_units(conn: &mut Conn, mut out: Vec<StoredSession>) -> Result<Vec<StoredSession>> {
    if out.is_empty() {
        return Ok(out);
    }
    let ids: Vec<Id> = out.iter().map(|s| s.id).collect();
    let mut qb: QueryBuilder<Db> = QueryBuilder::new(
        "SELECT su.session_id, u.id, u.code, u.path FROM apel_session_units su JOIN units u ON u.id = su.unit_id
         WHERE su.session_id",
    );
    push_in_ids(&mut qb, &ids);
    qb.push(" ORDER BY u.path");
    for r in qb.build().fetch_all(&mut *conn).await.map_err(db_err)? {
        let sid: Id = r.get(0);
        if let Some(s) = out.iter_mut().find(|s| s.id == sid) {
            s.s.unit_ids.push(r.get(1));
            s.target_codes.push(r.get(2));
            s.target_paths.push(r.get(3));
        }
    }
    Ok(out)
}

async fn load_session(conn: &mut Conn, id: Id) -> Result<StoredSession> {
    let sql = format!("{SESSION_SELECT} WHERE s.id = $1");
    let r = sqlx::query(AssertSqlSafe(sql)).bind(id).fetch_one(&mut *conn).await.map_err(not_found("session"))?;
    let s = session_row(&r)?;
    Ok(with_units(conn, vec![s]).await?.remove(0))
}

async fn put_units(conn: &mut Conn, id: Id, unit_ids: &[Id]) -> Result<()> {
    sqlx::query("DELETE FROM apel_session_units WHERE session_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    let mut ids = unit_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for u in ids {
        sqlx::query("INSERT INTO apel_session_units (session_id, unit_id) VALUES ($1, $2)")
            .bind(id)
            .bind(u)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

fn mark_row(r: &DbRow) -> SessionMark {
    SessionMark {
        session_id: r.get("session_id"),
        employee_id: r.get("employee_id"),
        how: r.get("how"),
        at: ts(r.get("at")),
        by_account: r.get("by_account"),
        lat: r.get("lat"),
        lon: r.get("lon"),
    }
}

const MARK_SELECT: &str = "SELECT session_id, employee_id, how, at, by_account, lat, lon FROM apel_attendance";

#[async_trait]
impl SessionStore for Store {
    async fn create_apel_session(&self, s: &NewSession, audit: Audit) -> Result<StoredSession> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let id: Id = sqlx::query_scalar(
            "INSERT INTO apel_sessions (kind, name, date, start_time, end_time, unit_id, lat, lon, radius_m, qr, mandatory,
                cancelled, created_at, created_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, FALSE, $12, $13) RETURNING id",
        )
        .bind(&s.kind)
        .bind(&s.name)
        .bind(s.date.to_string())
        .bind(&s.start)
        .bind(&s.end)
        .bind(s.unit_id)
        .bind(s.lat)
        .bind(s.lon)
        .bind(s.radius_m)
        .bind(s.qr)
        .bind(s.mandatory)
        .bind(ms(Timestamp::now()))
        .bind(audit.actor_account_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        put_units(&mut tx, id, &s.unit_ids).await?;
        let stored = load_session(&mut tx, id).await?;
        let mut audit = audit.after(&stored);
        audit.entity_id = id.to_string();
        write_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(stored)
    }

    async fn update_apel_session(&self, id: Id, s: &NewSession, audit: Audit) -> Result<StoredSession> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let before = load_session(&mut tx, id).await?;
        sqlx::query(
            "UPDATE apel_sessions SET kind = $2, name = $3, date = $4, start_time = $5, end_time = $6, unit_id = $7,
                lat = $8, lon = $9, radius_m = $10, qr = $11, mandatory = $12 WHERE id = $1",
        )
        .bind(id)
        .bind(&s.kind)
        .bind(&s.name)
        .bind(s.date.to_string())
        .bind(&s.start)
        .bind(&s.end)
        .bind(s.unit_id)
        .bind(s.lat)
        .bind(s.lon)
        .bind(s.radius_m)
        .bind(s.qr)
        .bind(s.mandatory)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        put_units(&mut tx, id, &s.unit_ids).await?;
        let after = load_session(&mut tx, id).await?;
        write_audit(&mut tx, &audit.before(&before).after(&after)).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(after)
    }

    async fn cancel_apel_session(&self, id: Id, audit: Audit) -> Result<StoredSession> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        load_session(&mut tx, id).await?;
        sqlx::query("UPDATE apel_sessions SET cancelled = TRUE WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let after = load_session(&mut tx, id).await?;
        write_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(after)
    }

    async fn apel_session_by_id(&self, id: Id) -> Result<StoredSession> {
        let mut conn = self.read.acquire().await.map_err(db_err)?;
        load_session(&mut conn, id).await
    }

    async fn list_apel_sessions(&self, from: jiff::civil::Date, to: jiff::civil::Date) -> Result<Vec<StoredSession>> {
        let mut conn = self.read.acquire().await.map_err(db_err)?;
        let sql = format!("{SESSION_SELECT} WHERE s.date >= $1 AND s.date <= $2 ORDER BY s.date, s.start_time, s.id");
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(from.to_string())
            .bind(to.to_string())
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?;
        let out = rows.iter().map(session_row).collect::<Result<Vec<_>>>()?;
        with_units(&mut conn, out).await
    }

    async fn record_session_attendance(&self, marks: &[SessionMark], audit: Option<Audit>) -> Result<u64> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let mut new = 0;
        for m in marks {
            new += sqlx::query(
                "INSERT INTO apel_attendance (session_id, employee_id, how, at, by_account, lat, lon)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (session_id, employee_id) DO NOTHING",
            )
            .bind(m.session_id)
            .bind(m.employee_id)
            .bind(&m.how)
            .bind(ms(m.at))
            .bind(m.by_account)
            .bind(m.lat)
            .bind(m.lon)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        }
        if let Some(a) = audit {
            write_audit(&mut tx, &a).await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(new)
    }

    async fn session_attendance(&self, session_id: Id) -> Result<Vec<SessionMark>> {
        let sql = format!("{MARK_SELECT} WHERE session_id = $1 ORDER BY at, employee_id");
        let rows = sqlx::query(AssertSqlSafe(sql)).bind(session_id).fetch_all(&self.read).await.map_err(db_err)?;
        Ok(rows.iter().map(mark_row).collect())
    }

    async fn attendance_of(&self, employee_ids: &[Id], session_ids: &[Id]) -> Result<Vec<SessionMark>> {
        if employee_ids.is_empty() || session_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut qb: QueryBuilder<Db> = QueryBuilder::new(MARK_SELECT);
        qb.push(" WHERE session_id");
        push_in_ids(&mut qb, session_ids);
        qb.push(" AND employee_id");
        push_in_ids(&mut qb, employee_ids);
        let rows = qb.build().fetch_all(&self.read).await.map_err(db_err)?;
        Ok(rows.iter().map(mark_row).collect())
    }
}

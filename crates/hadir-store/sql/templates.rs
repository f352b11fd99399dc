//! Fingerprint and face templates (issue 25): sealed rows and the copies terminals hold.

use super::{Conn, Db, DbRow, Store, db_err, ms, not_found, ts};
use crate::dialect as d;
use async_trait::async_trait;
use hadir_store::{DeviceCommand, Id, NewTemplate, Result, SealedTemplate, TemplateCopy, TemplateSaved, TemplateStore};
use jiff::Timestamp;
use sqlx::{QueryBuilder, Row};

const SELECT: &str = "SELECT id, employee_id, kind, no, idx, digest, nonce, sealed, source_sn, created_at, updated_at
    FROM biometric_templates";

fn row(r: &DbRow) -> SealedTemplate {
    SealedTemplate {
        id: r.get("id"),
        employee_id: r.get("employee_id"),
        kind: r.get("kind"),
        no: r.get("no"),
        idx: r.get("idx"),
        digest: r.get("digest"),
        nonce: r.get("nonce"),
        sealed: r.get("sealed"),
        source_sn: r.get("source_sn"),
        created_at: ts(r.get("created_at")),
        updated_at: ts(r.get("updated_at")),
    }
}

async fn device_id(conn: &mut Conn, sn: &str) -> Result<Id> {
    sqlx::query_scalar("SELECT id FROM devices WHERE sn = $1")
        .bind(sn)
        .fetch_one(conn)
        .await
        .map_err(not_found("device"))
}

async fn put_copy(conn: &mut Conn, dev: Id, template: Id, digest: &[u8], command: Option<Id>, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO template_copies (device_id, template_id, digest, command_id, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (device_id, template_id) DO UPDATE
         SET digest = excluded.digest, command_id = excluded.command_id, updated_at = excluded.updated_at",
    )
    .bind(dev)
    .bind(template)
    .bind(digest)
    .bind(command)
    .bind(now)
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

async fn commands(conn: &mut Conn, ids: &[Id]) -> Result<Vec<DeviceCommand>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let mut qb = QueryBuilder::<Db>::new(
            "SELECT c.id, d.sn, c.command, c.state, c.return_code, c.meaning, c.created_at, c.sent_at, c.done_at
             FROM device_commands c JOIN devices d ON d.id = c.device_id WHERE c.id",
        );
        d::push_in_ids(&mut qb, chunk);
        qb.push(" ORDER BY c.id");
        for r in qb.build().fetch_all(&mut *conn).await.map_err(db_err)? {
            out.push(DeviceCommand {
                id: r.get("id"),
                sn: r.get("sn"),
                command: r.get("command"),
                state: hadir_store::CommandState::parse(r.get("state")).unwrap_or(hadir_store::CommandState::Queued),
                return_code: r.get("return_code"),
                meaning: r.get("meaning"),
                created_at: ts(r.get("created_at")),
                sent_at: r.get::<Option<i64>, _>("sent_at").map(ts),
                done_at: r.get::<Option<i64>, _>("done_at").map(ts),
            });
        }
    }
    Ok(out)
}

async fn save(tx: &mut Conn, t: &NewTemplate, now: i64) -> Result<TemplateSaved> {
    let dev = device_id(&mut *tx, &t.source_sn).await?;
    let inserted: Option<Id> = sqlx::query_scalar(
        "INSERT INTO biometric_templates
         (employee_id, kind, no, idx, digest, nonce, sealed, source_sn, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
         ON CONFLICT (employee_id, kind, no, idx) DO NOTHING RETURNING id",
    )
    .bind(t.employee_id)
    .bind(&t.kind)
    .bind(t.no)
    .bind(t.idx)
    .bind(&t.digest)
    .bind(&t.nonce)
    .bind(&t.sealed)
    .bind(&t.source_sn)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_err)?;
    let saved = match inserted {
        Some(id) => TemplateSaved::New(id),
        None => {
            let r = sqlx::query(
                "SELECT id, digest FROM biometric_templates WHERE employee_id = $1 AND kind = $2 AND no = $3 AND idx = $4",
            )
            .bind(t.employee_id)
            .bind(&t.kind)
            .bind(t.no)
            .bind(t.idx)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
            let id: Id = r.get("id");
            let digest: Vec<u8> = r.get("digest");
            if digest == t.digest {
                TemplateSaved::Same(id)
            } else {
                sqlx::query(
                    "UPDATE biometric_templates SET digest = $1, nonce = $2, sealed = $3, source_sn = $4, updated_at = $5
                     WHERE id = $6",
                )
                .bind(&t.digest)
                .bind(&t.nonce)
                .bind(&t.sealed)
                .bind(&t.source_sn)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                TemplateSaved::Changed(id)
            }
        }
    };
    put_copy(&mut *tx, dev, saved.id(), &t.digest, None, now).await?;
    Ok(saved)
}

#[async_trait]
impl TemplateStore for Store {
    async fn save_templates(&self, batch: &[NewTemplate]) -> Result<Vec<TemplateSaved>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let now = ms(Timestamp::now());
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let mut out = Vec::with_capacity(batch.len());
        for t in batch {
            out.push(save(&mut tx, t, now).await?);
        }
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }

    async fn templates_of(&self, employee_id: Id) -> Result<Vec<SealedTemplate>> {
        let sql = format!("{SELECT} WHERE employee_id = $1 ORDER BY kind, no, idx");
        let rows =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(employee_id).fetch_all(&self.read).await.map_err(db_err)?;
        Ok(rows.iter().map(row).collect())
    }

    async fn templates_by_ids(&self, ids: &[Id]) -> Result<Vec<SealedTemplate>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let mut qb = QueryBuilder::<Db>::new(format!("{SELECT} WHERE id"));
            d::push_in_ids(&mut qb, chunk);
            out.extend(qb.build().fetch_all(&self.read).await.map_err(db_err)?.iter().map(row));
        }
        Ok(out)
    }

    async fn template_copies(&self, employee_id: Id) -> Result<Vec<TemplateCopy>> {
        let rows = sqlx::query(
            "SELECT d.sn, c.template_id, c.digest, cmd.state AS command_state
             FROM template_copies c JOIN biometric_templates t ON t.id = c.template_id
             JOIN devices d ON d.id = c.device_id LEFT JOIN device_commands cmd ON cmd.id = c.command_id
             WHERE t.employee_id = $1 ORDER BY d.sn, c.template_id",
        )
        .bind(employee_id)
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        Ok(rows
            .iter()
            .map(|r| TemplateCopy {
                device_sn: r.get("sn"),
                template_id: r.get("template_id"),
                digest: r.get("digest"),
                failed: r.get::<Option<String>, _>("command_state").as_deref() == Some("error"),
            })
            .collect())
    }

    async fn queue_template_commands(&self, sn: &str, items: &[(Id, Vec<u8>, String)]) -> Result<Vec<DeviceCommand>> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let now = ms(Timestamp::now());
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let dev = device_id(&mut tx, sn).await?;
        let lines: Vec<String> = items.iter().map(|(_, _, c)| c.clone()).collect();
        let ids = d::insert_commands(&mut tx, dev, &lines, now).await?;
        for ((template, digest, _), command) in items.iter().zip(&ids) {
            put_copy(&mut tx, dev, *template, digest, Some(*command), now).await?;
        }
        let out = commands(&mut tx, &ids).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }

    async fn queue_template_removal(&self, sn: &str, employee_id: Id, lines: &[String]) -> Result<Vec<DeviceCommand>> {
        let now = ms(Timestamp::now());
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let dev = device_id(&mut tx, sn).await?;
        let ids = d::insert_commands(&mut tx, dev, lines, now).await?;
        sqlx::query(
            "DELETE FROM template_copies WHERE device_id = $1
             AND template_id IN (SELECT id FROM biometric_templates WHERE employee_id = $2)",
        )
        .bind(dev)
        .bind(employee_id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let out = commands(&mut tx, &ids).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }

    async fn employees_with_templates(&self) -> Result<Vec<Id>> {
        sqlx::query_scalar("SELECT DISTINCT employee_id FROM biometric_templates ORDER BY employee_id")
            .fetch_all(&self.read)
            .await
            .map_err(db_err)
    }

    async fn record_template_copies(&self, sn: &str, copies: &[(Id, Vec<u8>)]) -> Result<()> {
        if copies.is_empty() {
            return Ok(());
        }
        let now = ms(Timestamp::now());
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let dev = device_id(&mut tx, sn).await?;
        for (template, digest) in copies {
            put_copy(&mut tx, dev, *template, digest, None, now).await?;
        }
        tx.commit().await.map_err(db_err)
    }

    async fn forget_template_copies(&self, sn: &str, employee_id: Id) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let dev = device_id(&mut tx, sn).await?;
        sqlx::query(
            "DELETE FROM template_copies WHERE device_id = $1
             AND template_id IN (SELECT id FROM biometric_templates WHERE employee_id = $2)",
        )
        .bind(dev)
        .bind(employee_id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)
    }
}

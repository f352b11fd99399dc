//! Daily work reports (issue 22): activities and their validation. State changes are guarded
//! by the `UPDATE … WHERE state …` itself, so two writers cannot both change one activity.

use super::audit::write_audit;
use super::{Conn, DbRow, Store, date_text, db_err, ms, not_found, ts};
use async_trait::async_trait;
use hadir_domain::kinerja::ActivityState;
use hadir_store::*;
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::{QueryBuilder, Row};

const COLS: &str = "SELECT a.id, a.employee_id, a.unit_id, u.path AS unit_path, a.date, a.description, a.output,
        a.volume, a.volume_unit, a.start_minute, a.end_minute, a.state, a.note, a.attachment_hash, a.attachment_mime,
        a.attachment_name, a.attachment_size, a.created_at, a.updated_at, a.validated_by, a.validated_by_name,
        a.validated_at
     FROM kinerja_activities a JOIN units u ON u.id = a.unit_id";

fn row(r: &DbRow) -> Result<Activity> {
    let date: String = r.get("date");
    let state: String = r.get("state");
    let attachment = r.get::<Option<String>, _>("attachment_hash").map(|blob_hash| ActivityAttachment {
        blob_hash,
        mime: r.get::<Option<String>, _>("attachment_mime").unwrap_or_default(),
        filename: r.get::<Option<String>, _>("attachment_name").unwrap_or_default(),
        size: r.get::<Option<i64>, _>("attachment_size").unwrap_or(0),
    });
    Ok(Activity {
        id: r.get("id"),
        employee_id: r.get("employee_id"),
        unit_id: r.get("unit_id"),
        unit_path: r.get("unit_path"),
        date: date.parse().map_err(|_| StoreError::Backend(format!("bad date in database: {date:?}")))?,
        description: r.get("description"),
        output: r.get("output"),
        volume: r.get("volume"),
        volume_unit: r.get("volume_unit"),
        start_minute: u32::try_from(r.get::<i64, _>("start_minute")).unwrap_or(0),
        end_minute: u32::try_from(r.get::<i64, _>("end_minute")).unwrap_or(0),
        state: ActivityState::parse(&state)
            .ok_or_else(|| StoreError::Backend(format!("bad activity state {state:?}")))?,
        note: r.get("note"),
        attachment,
        created_at: ts(r.get("created_at")),
        updated_at: ts(r.get("updated_at")),
        validated_by: r.get("validated_by"),
        validated_by_name: r.get("validated_by_name"),
        validated_at: r.get::<Option<i64>, _>("validated_at").map(ts),
    })
}

async fn one(conn: &mut Conn, id: Id) -> Result<Activity> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!("{COLS} WHERE a.id = $1")))
        .bind(id)
        .fetch_one(conn)
        .await
        .map_err(not_found("activity"))?;
    row(&r)
}

fn summary(a: &Activity) -> serde_json::Value {
    serde_json::json!({
        "employee_id": a.employee_id, "date": a.date.to_string(), "description": a.description,
        "output": a.output, "volume": a.volume, "volume_unit": a.volume_unit,
        "start_minute": a.start_minute, "end_minute": a.end_minute, "state": a.state.as_str(),
        "note": a.note, "attachment": a.attachment.as_ref().map(|x| &x.filename),
    })
}

/// Audits a row just inserted, in its transaction: the row's id names the entity unless the
/// caller named one (a sanction is audited on its employee, so the person's trail shows it).
async fn audit_created(conn: &mut Conn, mut audit: Audit, id: Id, after: Option<serde_json::Value>) -> Result<()> {
    if audit.entity_id.is_empty() {
        audit.entity_id = id.to_string();
    }
    audit.after = after;
    write_audit(conn, &audit).await
}

/// The audit record completed with the activity's before and after.
fn audited(mut audit: Audit, before: Option<&Activity>, after: Option<&Activity>, id: Id) -> Audit {
    audit.entity_id = id.to_string();
    audit.before = before.map(summary);
    audit.after = after.map(summary);
    audit
}

/// `Conflict("already_approved")` when the guarded update touched nothing because the
/// activity is approved; `NotFound` when it does not exist.
async fn editable_or_conflict(conn: &mut Conn, id: Id, affected: u64) -> Result<()> {
    if affected == 1 {
        return Ok(());
    }
    one(conn, id).await?;
    Err(StoreError::Conflict("already_approved".into()))
}

fn date_of(s: String) -> Result<Date> {
    s.parse().map_err(|_| StoreError::Backend(format!("bad date in database: {s:?}")))
}

fn integration(r: &DbRow) -> Integration {
    Integration {
        id: r.get("id"),
        name: r.get("name"),
        scopes: r.get::<String, _>("scopes").split_whitespace().map(str::to_string).collect(),
        created_at: ts(r.get("created_at")),
        revoked_at: r.get::<Option<i64>, _>("revoked_at").map(ts),
    }
}

#[async_trait]
impl KinerjaStore for Store {
    async fn create_integration(
        &self,
        name: &str,
        token_hash: &[u8],
        scopes: &[String],
        audit: Audit,
    ) -> Result<Integration> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let r = sqlx::query(
            "INSERT INTO integrations (name, token_hash, scopes, created_by, created_at) VALUES ($1, $2, $3, $4, $5)
             RETURNING id, name, scopes, created_at, revoked_at",
        )
        .bind(name)
        .bind(token_hash)
        .bind(scopes.join(" "))
        .bind(audit.actor_account_id)
        .bind(ms(Timestamp::now()))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let i = integration(&r);
        audit_created(&mut tx, audit, i.id, Some(serde_json::json!({"name": i.name, "scopes": i.scopes}))).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(i)
    }

    async fn integration_by_hash(&self, token_hash: &[u8]) -> Result<Integration> {
        let r = sqlx::query("SELECT id, name, scopes, created_at, revoked_at FROM integrations WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_one(&self.read)
            .await
            .map_err(not_found("integration"))?;
        Ok(integration(&r))
    }

    async fn list_integrations(&self) -> Result<Vec<Integration>> {
        let rows = sqlx::query("SELECT id, name, scopes, created_at, revoked_at FROM integrations ORDER BY id")
            .fetch_all(&self.read)
            .await
            .map_err(db_err)?;
        Ok(rows.iter().map(integration).collect())
    }

    async fn revoke_integration(&self, id: Id, audit: Audit) -> Result<Integration> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let r = sqlx::query(
            "UPDATE integrations SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2
             RETURNING id, name, scopes, created_at, revoked_at",
        )
        .bind(ms(Timestamp::now()))
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(not_found("integration"))?;
        let mut audit = audit;
        audit.entity_id = id.to_string();
        write_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(integration(&r))
    }

    async fn tpp_policies(&self) -> Result<Vec<StoredTppPolicy>> {
        let rows = sqlx::query("SELECT id, effective_from, policy_json FROM tpp_policies ORDER BY effective_from")
            .fetch_all(&self.read)
            .await
            .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(StoredTppPolicy {
                    id: r.get("id"),
                    effective_from: date_of(r.get("effective_from"))?,
                    policy_json: r.get("policy_json"),
                })
            })
            .collect()
    }

    async fn add_tpp_policy(&self, effective_from: Date, policy_json: &str, audit: Audit) -> Result<StoredTppPolicy> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let id: Id = sqlx::query_scalar(
            "INSERT INTO tpp_policies (effective_from, policy_json, created_by, created_at) VALUES ($1, $2, $3, $4)
             RETURNING id",
        )
        .bind(date_text(effective_from))
        .bind(policy_json)
        .bind(audit.actor_account_id)
        .bind(ms(Timestamp::now()))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        audit_created(&mut tx, audit, id, serde_json::from_str(policy_json).ok()).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(StoredTppPolicy { id, effective_from, policy_json: policy_json.to_string() })
    }

    async fn tpp_bases(&self) -> Result<Vec<TppBase>> {
        let rows = sqlx::query(
            "SELECT id, grade, employee_id, amount, effective_from FROM tpp_bases ORDER BY effective_from, id",
        )
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(TppBase {
                    id: r.get("id"),
                    grade: r.get::<Option<i64>, _>("grade").and_then(|g| i16::try_from(g).ok()),
                    employee_id: r.get("employee_id"),
                    amount: r.get("amount"),
                    effective_from: date_of(r.get("effective_from"))?,
                })
            })
            .collect()
    }

    async fn add_tpp_base(&self, b: &TppBase, audit: Audit) -> Result<TppBase> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let id: Id = sqlx::query_scalar(
            "INSERT INTO tpp_bases (grade, employee_id, amount, effective_from, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(b.grade.map(i64::from))
        .bind(b.employee_id)
        .bind(b.amount)
        .bind(date_text(b.effective_from))
        .bind(audit.actor_account_id)
        .bind(ms(Timestamp::now()))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let stored = TppBase { id, ..b.clone() };
        audit_created(&mut tx, audit, id, serde_json::to_value(&stored).ok()).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(stored)
    }

    async fn tpp_sanctions(&self) -> Result<Vec<StoredSanction>> {
        let rows = sqlx::query(
            "SELECT id, employee_id, date_from, date_to, cut, label FROM tpp_sanctions ORDER BY employee_id, date_from",
        )
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(StoredSanction {
                    id: r.get("id"),
                    employee_id: r.get("employee_id"),
                    from: date_of(r.get("date_from"))?,
                    to: date_of(r.get("date_to"))?,
                    cut: u32::try_from(r.get::<i64, _>("cut")).unwrap_or(0),
                    label: r.get("label"),
                })
            })
            .collect()
    }

    async fn add_tpp_sanction(&self, s: &StoredSanction, audit: Audit) -> Result<StoredSanction> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let id: Id = sqlx::query_scalar(
            "INSERT INTO tpp_sanctions (employee_id, date_from, date_to, cut, label, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(s.employee_id)
        .bind(date_text(s.from))
        .bind(date_text(s.to))
        .bind(i64::from(s.cut))
        .bind(&s.label)
        .bind(audit.actor_account_id)
        .bind(ms(Timestamp::now()))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let stored = StoredSanction { id, ..s.clone() };
        audit_created(&mut tx, audit, id, serde_json::to_value(&stored).ok()).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(stored)
    }

    async fn kinerja_scores(&self, month: &str) -> Result<Vec<KinerjaScore>> {
        let rows = sqlx::query(
            "SELECT employee_id, month, score, source, note, updated_by_name, updated_at FROM kinerja_scores
             WHERE month = $1 ORDER BY employee_id",
        )
        .bind(month)
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        Ok(rows
            .iter()
            .map(|r| KinerjaScore {
                employee_id: r.get("employee_id"),
                month: r.get("month"),
                score: u32::try_from(r.get::<i64, _>("score")).unwrap_or(0),
                source: r.get("source"),
                note: r.get("note"),
                updated_by_name: r.get("updated_by_name"),
                updated_at: ts(r.get("updated_at")),
            })
            .collect())
    }

    async fn approved_minutes(&self, from: Date, to: Date) -> Result<Vec<(Id, i64)>> {
        let rows = sqlx::query(
            "SELECT employee_id, CAST(SUM(end_minute - start_minute) AS BIGINT) AS minutes FROM kinerja_activities
             WHERE state = 'approved' AND date >= $1 AND date <= $2 GROUP BY employee_id",
        )
        .bind(date_text(from))
        .bind(date_text(to))
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        Ok(rows.iter().map(|r| (r.get("employee_id"), r.get::<i64, _>("minutes"))).collect())
    }

    async fn put_kinerja_scores(&self, scores: &[KinerjaScore], actor: (Option<Id>, &str)) -> Result<u64> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        for k in scores {
            sqlx::query(
                "INSERT INTO kinerja_scores (employee_id, month, score, source, note, updated_by_name, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (employee_id, month) DO UPDATE SET score = EXCLUDED.score, source = EXCLUDED.source,
                    note = EXCLUDED.note, updated_by_name = EXCLUDED.updated_by_name, updated_at = EXCLUDED.updated_at",
            )
            .bind(k.employee_id)
            .bind(&k.month)
            .bind(i64::from(k.score))
            .bind(&k.source)
            .bind(k.note.as_deref())
            .bind(&k.updated_by_name)
            .bind(ms(k.updated_at))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            let mut audit = Audit::new(actor, "kinerja.score", "employee", &k.employee_id.to_string());
            audit.after = Some(serde_json::json!({"month": k.month, "score": k.score, "source": k.source}));
            write_audit(&mut tx, &audit).await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(scores.len() as u64)
    }

    async fn create_activity(&self, a: &NewActivity, audit: Audit) -> Result<Activity> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let now = ms(Timestamp::now());
        let f = &a.fields;
        let id: Id = sqlx::query_scalar(
            "INSERT INTO kinerja_activities (employee_id, unit_id, date, description, output, volume, volume_unit,
                start_minute, end_minute, state, created_by, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'submitted', $10, $11, $11) RETURNING id",
        )
        .bind(a.employee_id)
        .bind(a.unit_id)
        .bind(date_text(a.date))
        .bind(&f.description)
        .bind(&f.output)
        .bind(f.volume)
        .bind(&f.volume_unit)
        .bind(i64::from(f.start_minute))
        .bind(i64::from(f.end_minute))
        .bind(a.created_by)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let created = one(&mut tx, id).await?;
        write_audit(&mut tx, &audited(audit, None, Some(&created), id)).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(created)
    }

    async fn activity_by_id(&self, id: Id) -> Result<Activity> {
        let mut c = self.read.acquire().await.map_err(db_err)?;
        one(&mut c, id).await
    }

    async fn update_activity(&self, id: Id, f: &ActivityFields, audit: Audit) -> Result<Activity> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let before = one(&mut tx, id).await?;
        let done = sqlx::query(
            "UPDATE kinerja_activities SET description = $1, output = $2, volume = $3, volume_unit = $4,
                start_minute = $5, end_minute = $6, state = 'submitted', updated_at = $7
             WHERE id = $8 AND state <> 'approved'",
        )
        .bind(&f.description)
        .bind(&f.output)
        .bind(f.volume)
        .bind(&f.volume_unit)
        .bind(i64::from(f.start_minute))
        .bind(i64::from(f.end_minute))
        .bind(ms(Timestamp::now()))
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        editable_or_conflict(&mut tx, id, done.rows_affected()).await?;
        let after = one(&mut tx, id).await?;
        write_audit(&mut tx, &audited(audit, Some(&before), Some(&after), id)).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(after)
    }

    async fn set_activity_attachment(&self, id: Id, att: &ActivityAttachment, audit: Audit) -> Result<Activity> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let before = one(&mut tx, id).await?;
        let done = sqlx::query(
            "UPDATE kinerja_activities SET attachment_hash = $1, attachment_mime = $2, attachment_name = $3,
                attachment_size = $4, updated_at = $5
             WHERE id = $6 AND state <> 'approved'",
        )
        .bind(&att.blob_hash)
        .bind(&att.mime)
        .bind(&att.filename)
        .bind(att.size)
        .bind(ms(Timestamp::now()))
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        editable_or_conflict(&mut tx, id, done.rows_affected()).await?;
        let after = one(&mut tx, id).await?;
        write_audit(&mut tx, &audited(audit, Some(&before), Some(&after), id)).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(after)
    }

    async fn delete_activity(&self, id: Id, audit: Audit) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let before = one(&mut tx, id).await?;
        let done = sqlx::query("DELETE FROM kinerja_activities WHERE id = $1 AND state <> 'approved'")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        editable_or_conflict(&mut tx, id, done.rows_affected()).await?;
        write_audit(&mut tx, &audited(audit, Some(&before), None, id)).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    async fn list_activities(&self, f: &ActivityFilter) -> Result<Vec<Activity>> {
        let mut qb: QueryBuilder<super::Db> = QueryBuilder::new(COLS);
        qb.push(" WHERE 1 = 1");
        if let Some(e) = f.employee_id {
            qb.push(" AND a.employee_id = ").push_bind(e);
        }
        if let Some(d) = f.from {
            qb.push(" AND a.date >= ").push_bind(date_text(d));
        }
        if let Some(d) = f.to {
            qb.push(" AND a.date <= ").push_bind(date_text(d));
        }
        if let Some(s) = f.state {
            qb.push(" AND a.state = ").push_bind(s.as_str());
        }
        if let Some(paths) = &f.unit_paths {
            if paths.is_empty() {
                qb.push(" AND FALSE");
            } else {
                qb.push(" AND (");
                for (i, p) in paths.iter().enumerate() {
                    if i > 0 {
                        qb.push(" OR ");
                    }
                    qb.push("substr(u.path, 1, length(").push_bind(p.clone()).push(")) = ").push_bind(p.clone());
                }
                qb.push(")");
            }
        }
        let limit = if f.limit == 0 { 500 } else { f.limit.min(20_000) };
        // LIMIT as a literal: see `punches::list_punches`.
        qb.push(format_args!(" ORDER BY a.employee_id, a.date, a.start_minute, a.id LIMIT {limit}"));
        let rows = qb.build().fetch_all(&self.read).await.map_err(db_err)?;
        rows.iter().map(row).collect()
    }

    async fn validate_activities(&self, ids: &[Id], d: &ActivityDecision) -> Result<Vec<Activity>> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let now = ms(Timestamp::now());
        let to = if d.approve { ActivityState::Approved } else { ActivityState::Returned };
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids {
            let before = one(&mut tx, id).await?;
            let done = sqlx::query(
                "UPDATE kinerja_activities SET state = $1, note = COALESCE($2, note), validated_by = $3,
                    validated_by_name = $4, validated_at = $5, updated_at = $5
                 WHERE id = $6 AND state = 'submitted'",
            )
            .bind(to.as_str())
            .bind(d.note.as_deref())
            .bind(d.validator)
            .bind(&d.validator_name)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            if done.rows_affected() != 1 {
                // Dropping the transaction rolls back the ones before.
                return Err(StoreError::Conflict("not_waiting".into()));
            }
            let after = one(&mut tx, id).await?;
            let action = if d.approve { "kinerja.approve" } else { "kinerja.return" };
            let audit = Audit::new((Some(d.validator), &d.validator_name), action, "activity", "");
            write_audit(&mut tx, &audited(audit, Some(&before), Some(&after), id)).await?;
            out.push(after);
        }
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }
}

use super::audit::write_audit;
use super::{Conn, Db, DbRow, Store, date_text, db_err, ms, not_found, ts};
use crate::dialect as d;
use async_trait::async_trait;
use hadir_domain::CorrectionFix;
use hadir_store::*;
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::{QueryBuilder, Row};

const COLS: &str = "SELECT r.id, r.kind, r.state, r.employee_id, e.login AS employee_login, e.name AS employee_name,
        r.unit_id, u.code AS unit_code, u.path AS unit_path, r.date_from, r.date_to, r.start_at, r.end_at, r.reason,
        r.checkpoints_json, r.decider, r.days, r.punch_id, r.submitted_by, r.submitted_by_name, r.created_at,
        r.updated_at, r.decided_by, r.decided_by_name, r.decided_at, r.decision_comment, r.correction_json
     FROM requests r JOIN units u ON u.id = r.unit_id LEFT JOIN employees e ON e.id = r.employee_id";

fn parse_date(s: &str) -> Result<Date> {
    s.parse().map_err(|_| StoreError::Backend(format!("bad date in database: {s:?}")))
}

fn state_of(s: &str) -> Result<RequestState> {
    RequestState::parse(s).ok_or_else(|| StoreError::Backend(format!("bad request state {s:?}")))
}

fn row(r: &DbRow) -> Result<Request> {
    let checkpoints: Vec<String> = serde_json::from_str(r.get::<&str, _>("checkpoints_json")).unwrap_or_default();
    let correction: Option<CorrectionFix> =
        r.get::<Option<String>, _>("correction_json").and_then(|s| serde_json::from_str(&s).ok());
    Ok(Request {
        id: r.get("id"),
        kind: r.get("kind"),
        state: state_of(r.get("state"))?,
        employee_id: r.get("employee_id"),
        employee_login: r.get("employee_login"),
        employee_name: r.get("employee_name"),
        unit_id: r.get("unit_id"),
        unit_code: r.get("unit_code"),
        unit_path: r.get("unit_path"),
        date_from: parse_date(r.get("date_from"))?,
        date_to: parse_date(r.get("date_to"))?,
        start_at: r.get::<Option<i64>, _>("start_at").map(ts),
        end_at: r.get::<Option<i64>, _>("end_at").map(ts),
        reason: r.get("reason"),
        checkpoints,
        decider: Decider::parse(r.get("decider")).unwrap_or(Decider::Head),
        days: r.get("days"),
        punch_id: r.get("punch_id"),
        submitted_by: r.get("submitted_by"),
        submitted_by_name: r.get("submitted_by_name"),
        created_at: ts(r.get("created_at")),
        updated_at: ts(r.get("updated_at")),
        decided_by: r.get("decided_by"),
        decided_by_name: r.get("decided_by_name"),
        decided_at: r.get::<Option<i64>, _>("decided_at").map(ts),
        decision_comment: r.get("decision_comment"),
        correction,
        lines: Vec::new(),
        attachments: Vec::new(),
        history: Vec::new(),
    })
}

async fn lines_of(conn: &mut Conn, id: Id, only: Option<Id>) -> Result<Vec<RequestLine>> {
    let rows = sqlx::query(
        "SELECT employee_id, at, checkpoint FROM request_lines WHERE request_id = $1
         AND ($2 IS NULL OR employee_id = $2) ORDER BY employee_id, at",
    )
    .bind(id)
    .bind(only)
    .fetch_all(conn)
    .await
    .map_err(db_err)?;
    Ok(rows
        .iter()
        .map(|r| RequestLine {
            employee_id: r.get("employee_id"),
            at: ts(r.get("at")),
            checkpoint: r.get("checkpoint"),
        })
        .collect())
}

fn attachment_row(r: &DbRow) -> Attachment {
    Attachment {
        id: r.get("id"),
        request_id: r.get("request_id"),
        blob_hash: r.get("blob_hash"),
        mime: r.get("mime"),
        size: r.get("size"),
        filename: r.get("filename"),
        uploaded_by: r.get("uploaded_by"),
        uploaded_at: ts(r.get("uploaded_at")),
        purged_at: r.get::<Option<i64>, _>("purged_at").map(ts),
    }
}

async fn attachments_of(conn: &mut Conn, id: Id) -> Result<Vec<Attachment>> {
    let rows = sqlx::query(
        "SELECT id, request_id, blob_hash, mime, size, filename, uploaded_by, uploaded_at, purged_at
         FROM request_attachments WHERE request_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(conn)
    .await
    .map_err(db_err)?;
    Ok(rows.iter().map(attachment_row).collect())
}

async fn history_of(conn: &mut Conn, id: Id) -> Result<Vec<RequestEvent>> {
    let rows = sqlx::query(
        "SELECT at, actor_account_id, actor_name, action, from_state, to_state, comment
         FROM request_events WHERE request_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(conn)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok(RequestEvent {
                at: ts(r.get("at")),
                actor_account_id: r.get("actor_account_id"),
                actor_name: r.get("actor_name"),
                action: r.get("action"),
                from_state: r.get::<Option<String>, _>("from_state").map(|s| state_of(&s)).transpose()?,
                to_state: state_of(r.get("to_state"))?,
                comment: r.get("comment"),
            })
        })
        .collect()
}

async fn full(conn: &mut Conn, id: Id) -> Result<Request> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!("{COLS} WHERE r.id = $1")))
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .map_err(not_found("request"))?;
    let mut req = row(&r)?;
    req.lines = lines_of(conn, id, None).await?;
    req.attachments = attachments_of(conn, id).await?;
    req.history = history_of(conn, id).await?;
    Ok(req)
}

#[allow(clippy::too_many_arguments)]
async fn event(
    conn: &mut Conn,
    id: Id,
    at: Timestamp,
    actor: (Option<Id>, &str),
    action: &str,
    from: Option<RequestState>,
    to: RequestState,
    comment: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO request_events (request_id, at, actor_account_id, actor_name, action, from_state, to_state, comment)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(ms(at))
    .bind(actor.0)
    .bind(actor.1)
    .bind(action)
    .bind(from.map(|s| s.as_str()))
    .bind(to.as_str())
    .bind(comment)
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// A short summary for audit records (no history).
fn summary(r: &Request) -> serde_json::Value {
    serde_json::json!({
        "type": r.kind, "state": r.state, "employee_id": r.employee_id, "unit": r.unit_code,
        "date_from": r.date_from, "date_to": r.date_to, "start_at": r.start_at, "end_at": r.end_at,
        "reason": r.reason, "days": r.days, "punch_id": r.punch_id, "lines": r.lines.len(),
        "decision_comment": r.decision_comment, "correction": r.correction,
    })
}

/// Checks `guard` inside the writing transaction, after `r` was written (only while it is
/// submitted or approved): no other whole-day request of the employee of an exclusive kind shares
/// a date with it; the days of its employee and kind with `date_from` in the limit's year,
/// submitted or approved (it included), do not exceed the limit. Parallel writers are ordered by
/// the employee's row lock (PostgreSQL) or the one writer connection (SQLite).
async fn check_guard(conn: &mut Conn, r: &Request, guard: &RequestGuard) -> Result<()> {
    let Some(employee_id) = r.employee_id else { return Ok(()) };
    if !matches!(r.state, RequestState::Submitted | RequestState::Approved) {
        return Ok(());
    }
    let whole_day = r.punch_id.is_none() && r.start_at.is_none() && r.checkpoints.is_empty();
    if whole_day && guard.exclusive_kinds.contains(&r.kind) {
        let others: Vec<(Id, String)> = sqlx::query_as(
            "SELECT id, kind FROM requests WHERE employee_id = $1 AND id <> $2
             AND state IN ('submitted', 'approved') AND punch_id IS NULL AND start_at IS NULL
             AND checkpoints_json = '[]' AND date_from <= $3 AND date_to >= $4 ORDER BY id",
        )
        .bind(employee_id)
        .bind(r.id)
        .bind(date_text(r.date_to))
        .bind(date_text(r.date_from))
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
        if let Some((id, _)) = others.iter().find(|(_, k)| guard.exclusive_kinds.contains(k)) {
            return Err(StoreError::Overlaps { request_id: *id });
        }
    }
    let Some(limit) = guard.days else { return Ok(()) };
    let total: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(days), 0) AS BIGINT) FROM requests WHERE employee_id = $1 AND kind = $2
         AND substr(date_from, 1, 4) = $3 AND state IN ('submitted', 'approved')",
    )
    .bind(employee_id)
    .bind(&r.kind)
    .bind(format!("{:04}", limit.year))
    .fetch_one(conn)
    .await
    .map_err(db_err)?;
    if total > limit.max_days {
        let requested = r.days.unwrap_or(0);
        return Err(StoreError::LimitExceeded {
            limit: LIMIT_LEAVE_DAYS,
            in_use: total - requested,
            requested,
            max: limit.max_days,
        });
    }
    Ok(())
}

/// Orders writers of one employee's requests (on any instance) for the limit check. `FOR NO KEY
/// UPDATE` does not block punch inserts' foreign-key checks. Nothing to do without row locks.
async fn lock_employee(conn: &mut Conn, employee_id: Option<Id>) -> Result<()> {
    if !d::ROW_LOCKS {
        return Ok(());
    }
    if let Some(id) = employee_id {
        sqlx::query("SELECT id FROM employees WHERE id = $1 FOR NO KEY UPDATE")
            .bind(id)
            .execute(conn)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

/// Locks the request row for the transaction (a missing request is `NotFound`). Nothing to do
/// without row locks: SQLite's one writer already orders the transactions.
async fn lock_request(conn: &mut Conn, id: Id) -> Result<()> {
    if d::ROW_LOCKS {
        sqlx::query("SELECT id FROM requests WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_one(conn)
            .await
            .map_err(not_found("request"))?;
    }
    Ok(())
}

fn push_filter(qb: &mut QueryBuilder<Db>, f: &RequestFilter) {
    qb.push(" WHERE 1 = 1");
    if let Some(s) = f.state {
        qb.push(" AND r.state = ").push_bind(s.as_str());
    }
    if let Some(k) = &f.kind {
        qb.push(" AND r.kind = ").push_bind(k.clone());
    }
    if let Some(e) = f.employee_id {
        qb.push(" AND r.employee_id = ").push_bind(e);
    }
    if let Some(d) = f.decider {
        qb.push(" AND r.decider = ").push_bind(d.as_str());
    }
    if let Some((emp, acc)) = f.mine {
        qb.push(" AND (r.submitted_by = ").push_bind(acc);
        if let Some(e) = emp {
            qb.push(" OR r.employee_id = ").push_bind(e);
        }
        qb.push(")");
    }
    if let Some((emp, acc)) = f.exclude_own {
        qb.push(" AND r.submitted_by <> ").push_bind(acc);
        if let Some(e) = emp {
            qb.push(" AND (r.employee_id IS NULL OR r.employee_id <> ").push_bind(e).push(")");
        }
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
}

#[async_trait]
impl RequestStore for Store {
    async fn create_request_within(&self, n: &NewRequest, guard: &RequestGuard, audit: Audit) -> Result<Request> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        if !guard.is_empty() {
            lock_employee(&mut tx, n.employee_id).await?;
        }
        let now = Timestamp::now();
        let id: Id = sqlx::query_scalar(
            "INSERT INTO requests (kind, state, employee_id, unit_id, date_from, date_to, start_at, end_at, reason,
                checkpoints_json, decider, days, punch_id, submitted_by, submitted_by_name, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id",
        )
        .bind(&n.kind)
        .bind(n.state.as_str())
        .bind(n.employee_id)
        .bind(n.unit_id)
        .bind(date_text(n.date_from))
        .bind(date_text(n.date_to))
        .bind(n.start_at.map(ms))
        .bind(n.end_at.map(ms))
        .bind(&n.reason)
        .bind(serde_json::to_string(&n.checkpoints).unwrap_or_else(|_| "[]".into()))
        .bind(n.decider.as_str())
        .bind(n.days)
        .bind(n.punch_id)
        .bind(n.submitted_by)
        .bind(&n.submitted_by_name)
        .bind(ms(now))
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match db_err(e) {
            StoreError::Invalid(_) => StoreError::Invalid("employee, unit or punch does not exist".into()),
            other => other,
        })?;
        for l in &n.lines {
            sqlx::query("INSERT INTO request_lines (request_id, employee_id, at, checkpoint) VALUES ($1, $2, $3, $4)")
                .bind(id)
                .bind(l.employee_id)
                .bind(ms(l.at))
                .bind(&l.checkpoint)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        let actor = (Some(n.submitted_by), n.submitted_by_name.as_str());
        event(&mut tx, id, now, actor, "create", None, RequestState::Draft, None).await?;
        if n.state != RequestState::Draft {
            event(&mut tx, id, now, actor, "submit", Some(RequestState::Draft), n.state, None).await?;
        }
        let stored = full(&mut tx, id).await?;
        check_guard(&mut tx, &stored, guard).await?;
        let mut audit = audit.after(summary(&stored));
        audit.entity_id = id.to_string();
        write_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(stored)
    }

    async fn request_by_id(&self, id: Id) -> Result<Request> {
        let mut conn = self.read.acquire().await.map_err(db_err)?;
        full(&mut conn, id).await
    }

    async fn request_by_punch(&self, punch_id: Id) -> Result<Option<Request>> {
        let id: Option<Id> = sqlx::query_scalar("SELECT id FROM requests WHERE punch_id = $1")
            .bind(punch_id)
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)?;
        match id {
            Some(id) => Ok(Some(self.request_by_id(id).await?)),
            None => Ok(None),
        }
    }

    async fn list_requests(&self, f: &RequestFilter) -> Result<Page<Request>> {
        let mut conn = self.read.acquire().await.map_err(db_err)?;
        let mut qb = QueryBuilder::<Db>::new(
            "SELECT COUNT(*) FROM requests r JOIN units u ON u.id = r.unit_id LEFT JOIN employees e ON e.id = r.employee_id",
        );
        push_filter(&mut qb, f);
        let total: i64 = qb.build_query_scalar().fetch_one(&mut *conn).await.map_err(db_err)?;
        let mut qb = QueryBuilder::<Db>::new(COLS);
        push_filter(&mut qb, f);
        // LIMIT/OFFSET as literals: see `punches::list_punches`.
        qb.push(format_args!(" ORDER BY r.id DESC LIMIT {} OFFSET {}", f.limit as i64, f.offset as i64));
        let rows = qb.build().fetch_all(&mut *conn).await.map_err(db_err)?;
        let mut items = Vec::with_capacity(rows.len());
        for r in &rows {
            let mut req = row(r)?;
            req.lines = lines_of(&mut conn, req.id, None).await?;
            req.attachments = attachments_of(&mut conn, req.id).await?;
            items.push(req);
        }
        Ok(Page { items, total: total as u64, offset: f.offset, limit: f.limit })
    }

    async fn transition_request_within(
        &self,
        id: Id,
        t: &Transition,
        guard: &RequestGuard,
        audit: Audit,
    ) -> Result<Request> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        if !guard.is_empty() && d::ROW_LOCKS {
            let employee: Option<Option<Id>> = sqlx::query_scalar("SELECT employee_id FROM requests WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
            lock_employee(&mut tx, employee.flatten()).await?;
        }
        // Lock the request so two deciders (on any instance) are ordered: the second sees the
        // first's state and gets the conflict.
        lock_request(&mut tx, id).await?;
        let before = full(&mut tx, id).await?;
        if !t.from.contains(&before.state) {
            return Err(StoreError::Conflict("state".into()));
        }
        let now = Timestamp::now();
        if t.decision {
            sqlx::query(
                "UPDATE requests SET state = $1, updated_at = $2, decided_by = $3, decided_by_name = $4, decided_at = $5,
                    decision_comment = $6, correction_json = $7 WHERE id = $8",
            )
            .bind(t.to.as_str())
            .bind(ms(now))
            .bind(t.actor_account_id)
            .bind(&t.actor_name)
            .bind(ms(now))
            .bind(&t.comment)
            .bind(t.correction.as_ref().and_then(|c| serde_json::to_string(c).ok()))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        } else {
            sqlx::query("UPDATE requests SET state = $1, updated_at = $2 WHERE id = $3")
                .bind(t.to.as_str())
                .bind(ms(now))
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        let actor = (Some(t.actor_account_id), t.actor_name.as_str());
        event(&mut tx, id, now, actor, &t.action, Some(before.state), t.to, t.comment.as_deref()).await?;
        let after = full(&mut tx, id).await?;
        check_guard(&mut tx, &after, guard).await?;
        let mut audit = audit.before(summary(&before)).after(summary(&after));
        audit.entity_id = id.to_string();
        write_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(after)
    }

    async fn add_attachments(
        &self,
        request_id: Id,
        list: &[NewAttachment],
        max_total: usize,
        audit: Audit,
    ) -> Result<Vec<Attachment>> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        // Orders uploads to one request (on any instance) for the count below.
        lock_request(&mut tx, request_id).await?;
        let req = full(&mut tx, request_id).await?;
        if req.attachments.len().saturating_add(list.len()) > max_total {
            return Err(StoreError::LimitExceeded {
                limit: LIMIT_ATTACHMENTS,
                in_use: req.attachments.len() as i64,
                requested: list.len() as i64,
                max: i64::try_from(max_total).unwrap_or(i64::MAX),
            });
        }
        let now = Timestamp::now();
        let mut out = Vec::with_capacity(list.len());
        for a in list {
            let r = sqlx::query(
                "INSERT INTO request_attachments (request_id, blob_hash, mime, size, filename, uploaded_by, uploaded_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 RETURNING id, request_id, blob_hash, mime, size, filename, uploaded_by, uploaded_at, purged_at",
            )
            .bind(request_id)
            .bind(&a.blob_hash)
            .bind(&a.mime)
            .bind(a.size)
            .bind(&a.filename)
            .bind(a.uploaded_by)
            .bind(ms(now))
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
            let att = attachment_row(&r);
            let actor = (audit.actor_account_id, audit.actor_name.as_str());
            event(&mut tx, request_id, now, actor, "attach", Some(req.state), req.state, Some(&a.filename)).await?;
            let mut audit = audit.clone().after(&att);
            audit.entity_id = request_id.to_string();
            write_audit(&mut tx, &audit).await?;
            out.push(att);
        }
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }

    async fn approved_requests_for(
        &self,
        employee_id: Id,
        unit_path: &str,
        from: Date,
        to: Date,
    ) -> Result<Vec<Request>> {
        let mut conn = self.read.acquire().await.map_err(db_err)?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{COLS} WHERE r.state = 'approved' AND r.date_from <= $1 AND r.date_to >= $2 AND (
                r.employee_id = $3
                OR (r.kind = 'OUTAGE' AND substr($4, 1, length(u.path)) = u.path)
                OR (r.kind = 'MANUAL' AND EXISTS (SELECT 1 FROM request_lines l
                                                   WHERE l.request_id = r.id AND l.employee_id = $3)))
             ORDER BY r.id"
        )))
        .bind(date_text(to))
        .bind(date_text(from))
        .bind(employee_id)
        .bind(unit_path)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let mut req = row(r)?;
            if req.kind == "MANUAL" {
                req.lines = lines_of(&mut conn, req.id, Some(employee_id)).await?;
            }
            out.push(req);
        }
        Ok(out)
    }

    async fn approved_requests_for_many(
        &self,
        employees: &[(Id, String)],
        from: Date,
        to: Date,
    ) -> Result<std::collections::HashMap<Id, Vec<Request>>> {
        let mut out: std::collections::HashMap<Id, Vec<Request>> = std::collections::HashMap::new();
        if employees.is_empty() {
            return Ok(out);
        }
        // The same rule as `approved_requests_for`, read once for the whole batch and handed
        // out here: own requests, outages on the employee's unit path, manual lines.
        let mut conn = self.read.acquire().await.map_err(db_err)?;
        let mut found: Vec<Request> = Vec::new();
        for chunk in employees.chunks(500) {
            let mut qb = QueryBuilder::<Db>::new(COLS);
            qb.push(" WHERE r.state = 'approved' AND r.date_from <= ").push_bind(date_text(to));
            qb.push(" AND r.date_to >= ").push_bind(date_text(from));
            qb.push(" AND (r.kind = 'OUTAGE' OR r.employee_id IN (");
            let mut list = qb.separated(", ");
            for (id, _) in chunk {
                list.push_bind(*id);
            }
            qb.push(") OR (r.kind = 'MANUAL' AND EXISTS (SELECT 1 FROM request_lines l WHERE l.request_id = r.id AND l.employee_id IN (");
            let mut list = qb.separated(", ");
            for (id, _) in chunk {
                list.push_bind(*id);
            }
            qb.push(")))) ORDER BY r.id");
            for r in qb.build().fetch_all(&mut *conn).await.map_err(db_err)? {
                let req = row(&r)?;
                if !found.iter().any(|f| f.id == req.id) {
                    found.push(req);
                }
            }
        }
        found.sort_by_key(|r| r.id);
        for req in &mut found {
            if req.kind == "MANUAL" {
                req.lines = lines_of(&mut conn, req.id, None).await?;
            }
        }
        for (id, path) in employees {
            let mine: Vec<Request> = found
                .iter()
                .filter_map(|r| {
                    if r.kind == "MANUAL" {
                        let lines: Vec<RequestLine> =
                            r.lines.iter().filter(|l| l.employee_id == *id).cloned().collect();
                        if r.employee_id == Some(*id) || !lines.is_empty() {
                            return Some(Request { lines, ..r.clone() });
                        }
                        return None;
                    }
                    let outage = r.kind == "OUTAGE" && path.starts_with(&r.unit_path);
                    (r.employee_id == Some(*id) || outage).then(|| r.clone())
                })
                .collect();
            if !mine.is_empty() {
                out.insert(*id, mine);
            }
        }
        Ok(out)
    }

    async fn request_days(&self, employee_id: Id, kind: &str, year: i16, states: &[RequestState]) -> Result<i64> {
        let mut qb =
            QueryBuilder::<Db>::new("SELECT CAST(COALESCE(SUM(days), 0) AS BIGINT) FROM requests WHERE employee_id = ");
        qb.push_bind(employee_id).push(" AND kind = ").push_bind(kind.to_string());
        qb.push(" AND substr(date_from, 1, 4) = ").push_bind(format!("{year:04}"));
        qb.push(" AND state IN (");
        if states.is_empty() {
            qb.push("NULL");
        }
        for (i, s) in states.iter().enumerate() {
            if i > 0 {
                qb.push(", ");
            }
            qb.push_bind(s.as_str());
        }
        qb.push(")");
        let n: i64 = qb.build_query_scalar().fetch_one(&self.read).await.map_err(db_err)?;
        Ok(n)
    }

    async fn lock_month(&self, month: &str, unit_id: Option<Id>, audit: Audit) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        sqlx::query(
            "INSERT INTO month_locks (month, unit_id, locked_at, locked_by) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(month)
        .bind(unit_id)
        .bind(ms(Timestamp::now()))
        .bind(&audit.actor_name)
        .execute(&mut *tx)
        .await
        .map_err(|e| match db_err(e) {
            StoreError::Invalid(_) => StoreError::NotFound("unit"),
            other => other,
        })?;
        let audit = audit.after(serde_json::json!({"month": month, "unit_id": unit_id}));
        write_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    async fn is_month_locked(&self, month: &str, unit_path: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM month_locks m LEFT JOIN units u ON u.id = m.unit_id
             WHERE m.month = $1 AND (m.unit_id IS NULL OR substr($2, 1, length(u.path)) = u.path)",
        )
        .bind(month)
        .bind(unit_path)
        .fetch_one(&self.read)
        .await
        .map_err(db_err)?;
        Ok(n > 0)
    }
}

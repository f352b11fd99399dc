use super::audit::write_audit;
use super::{Conn, Db, DbRow, Store, date_text, db_err, ms, not_found, text_date, ts};
use crate::dialect as d;
use async_trait::async_trait;
use hadir_domain::{Calendar, DayRecord, DayStatus, Holiday, HolidayKind, RuleSet};
use hadir_store::*;
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::{QueryBuilder, Row};

fn parse_date(s: &str) -> Result<Date> {
    s.parse().map_err(|_| StoreError::Backend(format!("bad date in database: {s:?}")))
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str, what: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Backend(format!("bad {what} JSON in database: {e}")))
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Backend(e.to_string()))
}

fn calendar_row(r: &DbRow) -> Result<StoredCalendar> {
    let mut calendar: Calendar = from_json(r.get("calendar_json"), "calendar")?;
    calendar.name = r.get("name");
    Ok(StoredCalendar {
        id: r.get("id"),
        is_default: r.get::<bool, _>("is_default"),
        calendar,
        updated_at: ts(r.get("updated_at")),
    })
}

fn holiday_row(r: &DbRow) -> Result<StoredHoliday> {
    let kind: String = r.get("kind");
    Ok(StoredHoliday {
        id: r.get("id"),
        holiday: Holiday {
            date: parse_date(r.get("date"))?,
            kind: HolidayKind::from_code(&kind).unwrap_or(HolidayKind::Regional),
            name: r.get("name"),
        },
        unit_id: r.get("unit_id"),
        unit_code: r.get("unit_code"),
        unit_path: r.get("unit_path"),
    })
}

const HOLIDAY_COLS: &str = "SELECT h.id, h.date, h.kind, h.name, h.unit_id, u.code AS unit_code, u.path AS unit_path
     FROM holidays h LEFT JOIN units u ON u.id = h.unit_id";

async fn calendar_in(conn: &mut Conn, id: Id) -> Result<StoredCalendar> {
    let r = sqlx::query("SELECT id, name, calendar_json, is_default, updated_at FROM calendars WHERE id = $1")
        .bind(id)
        .fetch_one(conn)
        .await
        .map_err(not_found("calendar"))?;
    calendar_row(&r)
}

async fn insert_holiday(conn: &mut Conn, h: &NewHoliday) -> Result<Option<Id>> {
    let id: Option<Id> = sqlx::query_scalar(
        "INSERT INTO holidays (date, kind, name, unit_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(date_text(h.holiday.date))
    .bind(h.holiday.kind.code())
    .bind(&h.holiday.name)
    .bind(h.unit_id)
    .fetch_optional(conn)
    .await
    .map_err(db_err)?;
    Ok(id)
}

fn push_enqueue_conflict(qb: &mut QueryBuilder<Db>) {
    qb.push(
        " ON CONFLICT(employee_id, date) DO UPDATE SET seq = recompute_queue.seq + 1, claimed_until = NULL,
          enqueued_at = ",
    );
    qb.push(d::LEAST).push("(recompute_queue.enqueued_at, excluded.enqueued_at)");
}

#[async_trait]
impl DayStore for Store {
    async fn seed_policies(&self, d: &PolicyDefaults) -> Result<bool> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        // Claim the seeding first: a second instance starting at the same moment waits on this
        // row, then finds it taken and seeds nothing.
        let claimed = sqlx::query("INSERT INTO policy_meta (key, value) VALUES ('seeded', $1) ON CONFLICT DO NOTHING")
            .bind(Timestamp::now().to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        if claimed == 0 {
            return Ok(false);
        }
        let now = ms(Timestamp::now());
        sqlx::query("INSERT INTO calendars (name, calendar_json, is_default, updated_at) VALUES ($1, $2, TRUE, $3)")
            .bind(&d.calendar.name)
            .bind(to_json(&d.calendar)?)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        for h in &d.holidays {
            insert_holiday(&mut tx, &NewHoliday { holiday: h.clone(), unit_id: None }).await?;
        }
        sqlx::query("INSERT INTO rule_sets (name, effective_from, rules_json, created_at) VALUES ($1, $2, $3, $4)")
            .bind(&d.rules.name)
            .bind(date_text(d.rules.effective_from))
            .bind(to_json(&d.rules)?)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let audit = Audit::new((None, "system"), "seed", "policies", "-").after(serde_json::json!({
            "calendar": d.calendar.name, "holidays": d.holidays.len(), "rule_set": d.rules.name
        }));
        write_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn list_calendars(&self) -> Result<Vec<StoredCalendar>> {
        let rows = sqlx::query("SELECT id, name, calendar_json, is_default, updated_at FROM calendars ORDER BY id")
            .fetch_all(&self.read)
            .await
            .map_err(db_err)?;
        rows.iter().map(calendar_row).collect()
    }

    async fn calendar_by_id(&self, id: Id) -> Result<StoredCalendar> {
        let mut conn = self.read.acquire().await.map_err(db_err)?;
        calendar_in(&mut conn, id).await
    }

    async fn create_calendar(&self, c: &Calendar, audit: Audit) -> Result<StoredCalendar> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let id: Id = sqlx::query_scalar(
            "INSERT INTO calendars (name, calendar_json, is_default, updated_at) VALUES ($1, $2, FALSE, $3) RETURNING id",
        )
        .bind(&c.name)
        .bind(to_json(c)?)
        .bind(ms(Timestamp::now()))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let stored = calendar_in(&mut tx, id).await?;
        let mut audit = audit.after(&stored.calendar);
        audit.entity_id = id.to_string();
        write_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(stored)
    }

    async fn update_calendar(&self, id: Id, c: &Calendar, audit: Audit) -> Result<StoredCalendar> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let before = calendar_in(&mut tx, id).await?;
        sqlx::query("UPDATE calendars SET name = $1, calendar_json = $2, updated_at = $3 WHERE id = $4")
            .bind(&c.name)
            .bind(to_json(c)?)
            .bind(ms(Timestamp::now()))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let after = calendar_in(&mut tx, id).await?;
        write_audit(&mut tx, &audit.before(&before.calendar).after(&after.calendar)).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(after)
    }

    async fn assign_calendar(
        &self,
        calendar_id: Option<Id>,
        target: CalendarTarget,
        effective_from: Date,
        audit: Audit,
    ) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let (col, target_id) = match target {
            CalendarTarget::Unit(id) => ("unit_id", id),
            CalendarTarget::Employee(id) => ("employee_id", id),
        };
        let from = date_text(effective_from);
        let before: Option<Option<Id>> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT calendar_id FROM calendar_assignments WHERE {col} = $1 AND effective_from < $2
             ORDER BY effective_from DESC LIMIT 1"
        )))
        .bind(target_id)
        .bind(&from)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM calendar_assignments WHERE {col} = $1 AND effective_from >= $2"
        )))
        .bind(target_id)
        .bind(&from)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if let Some(cid) = calendar_id {
            calendar_in(&mut tx, cid).await?;
        }
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO calendar_assignments (calendar_id, {col}, effective_from) VALUES ($1, $2, $3)"
        )))
        .bind(calendar_id)
        .bind(target_id)
        .bind(&from)
        .execute(&mut *tx)
        .await
        .map_err(|e| match db_err(e) {
            StoreError::Invalid(_) => StoreError::NotFound(if col == "unit_id" { "unit" } else { "employee" }),
            e => e,
        })?;
        let audit = audit
            .before(serde_json::json!({ "calendar_id": before.flatten() }))
            .after(serde_json::json!({ "calendar_id": calendar_id, "effective_from": from }));
        write_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    async fn list_calendar_assignments(&self) -> Result<Vec<CalendarAssignment>> {
        let rows = sqlx::query(
            "SELECT a.calendar_id, a.unit_id, a.employee_id, a.effective_from, u.code AS unit_code,
                    u.path AS unit_path, e.login AS employee_login
             FROM calendar_assignments a LEFT JOIN units u ON u.id = a.unit_id
             LEFT JOIN employees e ON e.id = a.employee_id ORDER BY a.effective_from, a.id",
        )
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let target = match r.get::<Option<Id>, _>("unit_id") {
                    Some(u) => CalendarTarget::Unit(u),
                    None => CalendarTarget::Employee(r.get("employee_id")),
                };
                Some(CalendarAssignment {
                    calendar_id: r.get("calendar_id"),
                    target,
                    effective_from: text_date(r.get("effective_from"))?,
                    unit_code: r.get("unit_code"),
                    unit_path: r.get("unit_path"),
                    employee_login: r.get("employee_login"),
                })
            })
            .collect())
    }

    async fn put_roster(&self, set: &[RosterRow], clear: &[(Id, Date)], audit: Audit) -> Result<u64> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let mut n = 0u64;
        for r in set {
            n += sqlx::query(
                "INSERT INTO roster_entries (employee_id, date, shift) VALUES ($1, $2, $3)
                 ON CONFLICT(employee_id, date) DO UPDATE SET shift = excluded.shift",
            )
            .bind(r.employee_id)
            .bind(date_text(r.date))
            .bind(&r.shift)
            .execute(&mut *tx)
            .await
            .map_err(|e| match db_err(e) {
                StoreError::Invalid(_) => StoreError::NotFound("employee"),
                e => e,
            })?
            .rows_affected();
        }
        for (emp, d) in clear {
            n += sqlx::query("DELETE FROM roster_entries WHERE employee_id = $1 AND date = $2")
                .bind(emp)
                .bind(date_text(*d))
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
        }
        let clear_json: Vec<_> = clear.iter().map(|(e, d)| serde_json::json!({"employee_id": e, "date": d})).collect();
        write_audit(&mut tx, &audit.after(serde_json::json!({ "set": set, "clear": clear_json }))).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(n)
    }

    async fn list_roster(&self, employee_id: Option<Id>, from: Date, to: Date) -> Result<Vec<RosterRow>> {
        let rows = sqlx::query(
            "SELECT employee_id, date, shift FROM roster_entries
             WHERE ($1 IS NULL OR employee_id = $1) AND date >= $2 AND date <= $3 ORDER BY employee_id, date",
        )
        .bind(employee_id)
        .bind(date_text(from))
        .bind(date_text(to))
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(RosterRow {
                    employee_id: r.get("employee_id"),
                    date: parse_date(r.get("date"))?,
                    shift: r.get("shift"),
                })
            })
            .collect()
    }

    async fn list_holidays(&self, year: Option<i16>) -> Result<Vec<StoredHoliday>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{HOLIDAY_COLS} WHERE ($1 IS NULL OR substr(h.date, 1, 4) = $1) ORDER BY h.date, h.kind, h.name, h.id"
        )))
        .bind(year.map(|y| format!("{y:04}")))
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        rows.iter().map(holiday_row).collect()
    }

    async fn create_holiday(&self, h: &NewHoliday, audit: Audit) -> Result<StoredHoliday> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let id = insert_holiday(&mut tx, h)
            .await
            .map_err(|e| match e {
                StoreError::Invalid(_) => StoreError::NotFound("unit"),
                e => e,
            })?
            .ok_or_else(|| StoreError::Conflict("holiday".into()))?;
        let r = sqlx::query(sqlx::AssertSqlSafe(format!("{HOLIDAY_COLS} WHERE h.id = $1")))
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
        let stored = holiday_row(&r)?;
        let mut audit = audit.after(&stored);
        audit.entity_id = id.to_string();
        write_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(stored)
    }

    async fn delete_holiday(&self, id: Id, audit: Audit) -> Result<StoredHoliday> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let r = sqlx::query(sqlx::AssertSqlSafe(format!("{HOLIDAY_COLS} WHERE h.id = $1")))
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .map_err(not_found("holiday"))?;
        let stored = holiday_row(&r)?;
        sqlx::query("DELETE FROM holidays WHERE id = $1").bind(id).execute(&mut *tx).await.map_err(db_err)?;
        write_audit(&mut tx, &audit.before(&stored)).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(stored)
    }

    async fn list_rule_sets(&self) -> Result<Vec<StoredRuleSet>> {
        let rows = sqlx::query("SELECT id, rules_json, created_at FROM rule_sets ORDER BY effective_from, id")
            .fetch_all(&self.read)
            .await
            .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(StoredRuleSet {
                    id: r.get("id"),
                    rules: from_json::<RuleSet>(r.get("rules_json"), "rule set")?,
                    created_at: ts(r.get("created_at")),
                })
            })
            .collect()
    }

    async fn create_rule_set(&self, rules: &RuleSet, audit: Audit) -> Result<StoredRuleSet> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let now = Timestamp::now();
        let id: Id = sqlx::query_scalar(
            "INSERT INTO rule_sets (name, effective_from, rules_json, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(&rules.name)
        .bind(date_text(rules.effective_from))
        .bind(to_json(rules)?)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let mut audit = audit.after(rules);
        audit.entity_id = id.to_string();
        write_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(StoredRuleSet { id, rules: rules.clone(), created_at: ts(ms(now)) })
    }

    async fn upsert_day_records(&self, rows: &[DayRow]) -> Result<u64> {
        if rows.is_empty() {
            return Ok(0);
        }
        d::upsert_day_records(self, rows).await
    }

    async fn day_records(&self, employee_id: Id, from: Date, to: Date) -> Result<Vec<StoredDay>> {
        let rows = sqlx::query(
            "SELECT employee_id, record_json, record_hash, computed_at FROM day_records
             WHERE employee_id = $1 AND date >= $2 AND date <= $3 ORDER BY date",
        )
        .bind(employee_id)
        .bind(date_text(from))
        .bind(date_text(to))
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(StoredDay {
                    employee_id: r.get("employee_id"),
                    record: from_json::<DayRecord>(r.get("record_json"), "day record")?,
                    record_hash: r.get("record_hash"),
                    computed_at: ts(r.get("computed_at")),
                })
            })
            .collect()
    }

    async fn day_records_of(&self, employee_ids: &[Id], from: Date, to: Date) -> Result<Vec<StoredDay>> {
        let mut out = Vec::new();
        for chunk in employee_ids.chunks(500) {
            let mut qb = QueryBuilder::<Db>::new(
                "SELECT employee_id, record_json, record_hash, computed_at FROM day_records WHERE employee_id IN (",
            );
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            qb.push(") AND date >= ").push_bind(date_text(from));
            qb.push(" AND date <= ").push_bind(date_text(to));
            let rows = qb.build().fetch_all(&self.read).await.map_err(db_err)?;
            for r in &rows {
                out.push(StoredDay {
                    employee_id: r.get("employee_id"),
                    record: from_json::<DayRecord>(r.get("record_json"), "day record")?,
                    record_hash: r.get("record_hash"),
                    computed_at: ts(r.get("computed_at")),
                });
            }
        }
        out.sort_by_key(|d| (d.employee_id, d.record.date));
        out.dedup_by_key(|d| (d.employee_id, d.record.date));
        Ok(out)
    }

    async fn day_statuses_of(&self, employee_ids: &[Id], from: Date, to: Date) -> Result<Vec<(Id, Date, DayStatus)>> {
        let mut out = Vec::new();
        for chunk in employee_ids.chunks(500) {
            let mut qb =
                QueryBuilder::<Db>::new("SELECT employee_id, date, status FROM day_records WHERE employee_id IN (");
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            qb.push(") AND date >= ").push_bind(date_text(from));
            qb.push(" AND date <= ").push_bind(date_text(to));
            let rows = qb.build().fetch_all(&self.read).await.map_err(db_err)?;
            for r in &rows {
                let code: String = r.get("status");
                let status: DayStatus = serde_json::from_value(serde_json::Value::String(code))
                    .map_err(|e| StoreError::Backend(format!("day status: {e}")))?;
                out.push((r.get("employee_id"), parse_date(r.get("date"))?, status));
            }
        }
        out.sort_by_key(|(id, d, _)| (*id, *d));
        out.dedup_by_key(|(id, d, _)| (*id, *d));
        Ok(out)
    }

    async fn enqueue_recompute(&self, items: &[(Id, Date)]) -> Result<u64> {
        if items.is_empty() {
            return Ok(0);
        }
        let now = ms(Timestamp::now());
        let unique = d::enqueue_items(items);
        let mut tx = self.write.begin().await.map_err(db_err)?;
        for chunk in unique.chunks(d::ENQUEUE_CHUNK) {
            let mut qb = QueryBuilder::<Db>::new("INSERT INTO recompute_queue (employee_id, date, seq, enqueued_at) ");
            qb.push_values(chunk, |mut b, (e, d)| {
                b.push_bind(*e).push_bind(date_text(*d)).push_bind(1i64).push_bind(now);
            });
            push_enqueue_conflict(&mut qb);
            qb.build().execute(&mut *tx).await.map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(items.len() as u64)
    }

    async fn enqueue_recompute_range(&self, target: &RecomputeTarget, from: Date, to: Date) -> Result<u64> {
        if to < from {
            return Ok(0);
        }
        let mut qb = QueryBuilder::<Db>::new("");
        d::push_dates_cte(&mut qb, from, to);
        qb.push(" INSERT INTO recompute_queue (employee_id, date, seq, enqueued_at) SELECT e.id, d.x, 1, ")
            .push_bind(ms(Timestamp::now()))
            .push(" FROM employees e JOIN units u ON u.id = e.unit_id CROSS JOIN d WHERE ");
        match target {
            RecomputeTarget::All => {
                qb.push("e.active");
            }
            RecomputeTarget::Subtrees(paths) => {
                qb.push("e.active AND (FALSE");
                for p in paths {
                    qb.push(" OR u.path LIKE ").push_bind(format!("{p}%"));
                }
                qb.push(")");
            }
            RecomputeTarget::Employees(ids) => {
                qb.push("e.id");
                d::push_in_ids(&mut qb, ids);
            }
        }
        push_enqueue_conflict(&mut qb);
        let n = qb.build().execute(&self.write).await.map_err(db_err)?.rows_affected();
        Ok(n)
    }

    async fn enqueue_open_days(&self, dates: &[Date]) -> Result<u64> {
        let mut n = 0;
        for d in dates {
            n += sqlx::query(
                "INSERT INTO recompute_queue (employee_id, date, seq, enqueued_at)
                 SELECT e.id, $1, 1, $2 FROM employees e
                 LEFT JOIN day_records r ON r.employee_id = e.id AND r.date = $1
                 WHERE e.active AND (r.employee_id IS NULL OR NOT r.closed)
                 ON CONFLICT(employee_id, date) DO NOTHING",
            )
            .bind(date_text(*d))
            .bind(ms(Timestamp::now()))
            .execute(&self.write)
            .await
            .map_err(db_err)?
            .rows_affected();
        }
        Ok(n)
    }

    async fn claim_recompute(&self, limit: u32, now: Timestamp, lease_until: Timestamp) -> Result<Vec<RecomputeJob>> {
        let rows = sqlx::query(d::CLAIM_RECOMPUTE)
            .bind(ms(lease_until))
            .bind(ms(now))
            .bind(i64::from(limit))
            .fetch_all(&self.write)
            .await
            .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(RecomputeJob {
                    employee_id: r.get("employee_id"),
                    date: parse_date(r.get("date"))?,
                    seq: r.get("seq"),
                })
            })
            .collect()
    }

    async fn finish_recompute(&self, jobs: &[RecomputeJob]) -> Result<()> {
        if jobs.is_empty() {
            return Ok(());
        }
        d::finish_recompute(self, jobs).await
    }

    async fn recompute_backlog(&self) -> Result<u64> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM recompute_queue").fetch_one(&self.read).await.map_err(db_err)?;
        Ok(n as u64)
    }

    async fn claim_job(
        &self,
        job: &str,
        period: &str,
        holder: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<bool> {
        // Inserted: ours. Present: ours only if its lease lapsed unfinished (its holder died).
        let n = sqlx::query(
            "INSERT INTO job_runs (job, period, holder, claimed_at, lease_until) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT(job, period) DO UPDATE SET holder = excluded.holder, claimed_at = excluded.claimed_at,
                lease_until = excluded.lease_until
             WHERE job_runs.done_at IS NULL AND job_runs.lease_until < excluded.claimed_at",
        )
        .bind(job)
        .bind(period)
        .bind(holder)
        .bind(ms(now))
        .bind(ms(lease_until))
        .execute(&self.write)
        .await
        .map_err(db_err)?
        .rows_affected();
        Ok(n > 0)
    }

    async fn finish_job(&self, job: &str, period: &str, at: Timestamp) -> Result<()> {
        sqlx::query("UPDATE job_runs SET done_at = $1 WHERE job = $2 AND period = $3")
            .bind(ms(at))
            .bind(job)
            .bind(period)
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(())
    }
}

use super::{Db, DbRow, Store, db_err, ms, not_found, ts};
use async_trait::async_trait;
use hadir_store::chain::{GENESIS, link_hash};
use hadir_store::*;
use sqlx::{QueryBuilder, Row};

macro_rules! cols {
    () => {
        "id, employee_id, source, dedup_key, punched_at, received_at, captured_at, device_sn, device_pin,
    lat, lon, accuracy_m, distance_m, location_name, photo_hash, note, review, review_detail, status, verify,
    quarantined, response, prev_hash, hash, hold, hold_by, hold_at, hold_note, photo_purged_at, position_purged_at"
    };
}

/// The punch columns, in the order `punch_row` reads them.
pub(crate) const PUNCH_COLS: &str = cols!();

pub(crate) fn punch_row(r: &DbRow) -> Punch {
    Punch {
        id: r.get("id"),
        p: NewPunch {
            employee_id: r.get("employee_id"),
            source: PunchSource::parse(r.get("source")).unwrap_or(PunchSource::Mobile),
            dedup_key: r.get("dedup_key"),
            punched_at: ts(r.get("punched_at")),
            received_at: ts(r.get("received_at")),
            captured_at: r.get::<Option<i64>, _>("captured_at").map(ts),
            device_sn: r.get("device_sn"),
            device_pin: r.get("device_pin"),
            lat: r.get("lat"),
            lon: r.get("lon"),
            accuracy_m: r.get("accuracy_m"),
            distance_m: r.get("distance_m"),
            location_name: r.get("location_name"),
            photo_hash: r.get("photo_hash"),
            note: r.get("note"),
            review: r.get("review"),
            review_detail: r.get("review_detail"),
            status: r.get("status"),
            verify: r.get("verify"),
            quarantined: r.get::<bool, _>("quarantined"),
            response: r.get("response"),
            hold: r.get::<Option<String>, _>("hold").as_deref().and_then(PunchHold::parse),
        },
        prev_hash: r.get("prev_hash"),
        hash: r.get("hash"),
        decision: r.get::<Option<i64>, _>("hold_at").map(|at| HoldDecision {
            by: r.get::<Option<String>, _>("hold_by").unwrap_or_default(),
            at: ts(at),
            note: r.get("hold_note"),
        }),
        photo_purged_at: r.get::<Option<i64>, _>("photo_purged_at").map(ts),
        position_purged_at: r.get::<Option<i64>, _>("position_purged_at").map(ts),
    }
}

#[async_trait]
impl PunchStore for Store {
    async fn insert_punches(&self, batch: &[NewPunch]) -> Result<Vec<PunchInsert>> {
        crate::dialect::insert_punches(self, batch).await
    }

    async fn punch_by_dedup_key(&self, key: &str) -> Result<Option<Punch>> {
        let r = sqlx::query(concat!("SELECT ", cols!(), " FROM punches WHERE dedup_key = $1"))
            .bind(key)
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)?;
        Ok(r.as_ref().map(punch_row))
    }

    async fn punch_by_id(&self, id: Id) -> Result<Punch> {
        let r = sqlx::query(concat!("SELECT ", cols!(), " FROM punches WHERE id = $1"))
            .bind(id)
            .fetch_one(&self.read)
            .await
            .map_err(not_found("punch"))?;
        Ok(punch_row(&r))
    }

    async fn list_punches(&self, f: &PunchFilter) -> Result<Vec<Punch>> {
        let mut qb = QueryBuilder::<Db>::new(concat!("SELECT ", cols!(), " FROM punches WHERE TRUE"));
        if let Some(e) = f.employee_id {
            qb.push(" AND employee_id = ").push_bind(e);
        }
        if let Some(t) = f.from {
            qb.push(" AND punched_at >= ").push_bind(ms(t));
        }
        if let Some(t) = f.to {
            qb.push(" AND punched_at < ").push_bind(ms(t));
        }
        if let Some(sn) = &f.device_sn {
            qb.push(" AND device_sn = ").push_bind(sn.clone());
        }
        if f.unmatched {
            qb.push(" AND employee_id IS NULL");
        }
        if f.needs_review {
            qb.push(" AND review IS NOT NULL");
        }
        if !f.include_quarantined {
            qb.push(" AND NOT quarantined");
        }
        match (f.hold, &f.or_counted_review) {
            // The hold state as a literal (one of a fixed set): a bound value here would make
            // SQLite re-prepare the statement at each run to check the partial index
            // `punches_held` (WHERE hold = 'pending') against it.
            (Some(h), Some(r)) => {
                qb.push(format_args!(" AND (hold = '{}'", h.as_str()));
                qb.push(" OR (hold IS NULL AND review = ").push_bind(r.clone()).push("))");
            }
            (Some(h), None) => {
                qb.push(format_args!(" AND hold = '{}'", h.as_str()));
            }
            (None, _) => {}
        }
        if let Some(paths) = &f.subtrees {
            qb.push(" AND employee_id IN (SELECT e.id FROM employees e JOIN units u ON u.id = e.unit_id WHERE FALSE");
            for path in paths {
                qb.push(" OR u.path LIKE ").push_bind(format!("{path}%"));
            }
            qb.push(")");
        }
        // LIMIT/OFFSET as integer literals, not bound: SQLite (3.51) plans a LIMIT with the value
        // bound at prepare time and marks the statement expired whenever that parameter is bound
        // again, so a bound LIMIT re-prepared this statement on every day recomputation (~11 %
        // of the server's CPU in the rush profile, `sqlite3Reprepare`). The text stays the same
        // for the same limit, so the statement cache still holds it.
        let limit = if f.limit == 0 { 10_000 } else { f.limit } as i64;
        qb.push(format_args!(" ORDER BY punched_at, id LIMIT {limit} OFFSET {}", f.offset as i64));
        let rows = qb.build().fetch_all(&self.read).await.map_err(db_err)?;
        Ok(rows.iter().map(punch_row).collect())
    }

    async fn checkin_punches(&self, q: &CheckinRead) -> Result<CheckinPunches> {
        // One round trip (each query costs a hand-off to the connection's thread), at most
        // 3 × per_part + 1 rows of five columns: the parts carry only what decides a verdict
        // (a busy person's 48 whole rows were most of a busy day's row decoding), and a
        // retry's own row comes only as a flag, read whole afterwards (rare).
        // The limit is a literal, not bound (see `list_punches`): bound, SQLite re-prepared this
        // statement at every check-in. How each part finds the person's rows is the dialect's
        // (`checkin_range`, `CHECKIN_ORDER_AT`): PostgreSQL must be kept off the `punched_at` index.
        // The text depends only on `per_part` (the server always asks for the same number), so
        // it is formatted once, not at every check-in.
        static TEXT: std::sync::OnceLock<(u32, String)> = std::sync::OnceLock::new();
        let (n, text) = TEXT.get_or_init(|| (q.per_part, checkin_sql(q.per_part)));
        let sql: std::borrow::Cow<'static, str> =
            if *n == q.per_part { text.as_str().into() } else { checkin_sql(q.per_part).into() };
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&q.dedup_key)
            .bind(q.employee_id)
            .bind(ms(q.day_starts[0]))
            .bind(ms(q.day_starts[1]))
            .bind(ms(q.from))
            .bind(ms(q.to))
            .fetch_all(&self.read)
            .await
            .map_err(db_err)?;
        let mut retry = false;
        let mut counting = Vec::with_capacity(rows.len());
        for r in &rows {
            if r.get::<bool, _>("retry") {
                retry = true;
            } else {
                counting.push(counting_row(r));
            }
        }
        counting.sort_by_key(|p| (p.punched_at, p.id));
        counting.dedup_by_key(|p| p.id);
        let retry = if retry { self.punch_by_dedup_key(&q.dedup_key).await? } else { None };
        Ok(CheckinPunches { retry, counting })
    }

    async fn punches_of(&self, employee_ids: &[Id], from: jiff::Timestamp, to: jiff::Timestamp) -> Result<Vec<Punch>> {
        let mut out = Vec::new();
        for chunk in employee_ids.chunks(500) {
            let mut qb = QueryBuilder::<Db>::new(concat!("SELECT ", cols!(), " FROM punches WHERE employee_id IN ("));
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            qb.push(") AND punched_at >= ").push_bind(ms(from));
            qb.push(" AND punched_at < ").push_bind(ms(to));
            qb.push(" AND NOT quarantined");
            let rows = qb.build().fetch_all(&self.read).await.map_err(db_err)?;
            out.extend(rows.iter().map(punch_row));
        }
        out.sort_by_key(|p| (p.p.punched_at, p.id));
        Ok(out)
    }

    async fn counting_punches_of(
        &self,
        employee_ids: &[Id],
        from: jiff::Timestamp,
        to: jiff::Timestamp,
    ) -> Result<Vec<CountingPunch>> {
        let mut out = Vec::new();
        for chunk in employee_ids.chunks(500) {
            let mut qb = QueryBuilder::<Db>::new(
                "SELECT id, employee_id, punched_at, source FROM punches WHERE employee_id IN (",
            );
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            qb.push(") AND punched_at >= ").push_bind(ms(from));
            qb.push(" AND punched_at < ").push_bind(ms(to));
            qb.push(" AND NOT quarantined AND (hold IS NULL OR hold = 'accepted') AND source <> 'special'");
            let rows = qb.build().fetch_all(&self.read).await.map_err(db_err)?;
            out.extend(rows.iter().map(counting_row));
        }
        out.sort_by_key(|p| (p.punched_at, p.id));
        Ok(out)
    }

    async fn match_device_pin(&self, pin: &str, employee_id: Id) -> Result<Vec<Punch>> {
        let rows = sqlx::query(concat!(
            "UPDATE punches SET employee_id = $1,
                hold = CASE WHEN (hold IS NULL OR hold = 'pending') AND EXISTS (SELECT 1 FROM devices d JOIN units du ON du.id = d.unit_id WHERE d.sn = punches.device_sn AND NOT ((SELECT eu.path FROM employees e JOIN units eu ON eu.id = e.unit_id WHERE e.id = $1) LIKE du.path || '%')) THEN 'pending' ELSE hold END,
                review = CASE WHEN (hold IS NULL OR hold = 'pending') AND EXISTS (SELECT 1 FROM devices d JOIN units du ON du.id = d.unit_id WHERE d.sn = punches.device_sn AND NOT ((SELECT eu.path FROM employees e JOIN units eu ON eu.id = e.unit_id WHERE e.id = $1) LIKE du.path || '%')) THEN 'pin_out_of_unit' ELSE review END,
                review_detail = CASE WHEN (hold IS NULL OR hold = 'pending') AND EXISTS (SELECT 1 FROM devices d JOIN units du ON du.id = d.unit_id WHERE d.sn = punches.device_sn AND NOT ((SELECT eu.path FROM employees e JOIN units eu ON eu.id = e.unit_id WHERE e.id = $1) LIKE du.path || '%'))
                    THEN 'PIN ' || device_pin || ' dipasang pada pegawai di luar unit mesin ' || device_sn || '.'
                    ELSE review_detail END
             WHERE employee_id IS NULL AND device_pin = $2 RETURNING ",
            cols!(),
            ""
        ))
        .bind(employee_id)
        .bind(pin)
        .fetch_all(&self.write)
        .await
        .map_err(db_err)?;
        Ok(rows.iter().map(punch_row).collect())
    }

    async fn release_quarantine(&self, device_sn: &str) -> Result<Vec<Punch>> {
        let rows = sqlx::query(concat!(
            "UPDATE punches SET quarantined = FALSE WHERE quarantined AND device_sn = $1 RETURNING ",
            cols!(),
            ""
        ))
        .bind(device_sn)
        .fetch_all(&self.write)
        .await
        .map_err(db_err)?;
        Ok(rows.iter().map(punch_row).collect())
    }

    async fn decide_held_punches(
        &self,
        ids: &[Id],
        accept: bool,
        note: Option<&str>,
        at: jiff::Timestamp,
        actor: (Option<Id>, &str),
    ) -> Result<Vec<Punch>> {
        let state = if accept { PunchHold::Accepted } else { PunchHold::Rejected };
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let mut out = Vec::new();
        for id in ids {
            // A colleague check-in counts at once (not held) and is decided afterwards.
            let before: Option<Option<String>> = sqlx::query_scalar(
                "SELECT hold FROM punches WHERE id = $1 AND (hold = 'pending' OR (hold IS NULL AND review = 'colleague'))",
            )
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
            let Some(before) = before else { continue };
            let row = sqlx::query(concat!(
                "UPDATE punches SET hold = $1, hold_by = $2, hold_at = $3, hold_note = $4 WHERE id = $5 AND (hold = 'pending' OR (hold IS NULL AND review = 'colleague')) RETURNING ",
                cols!(),
                ""
            ))
            .bind(state.as_str())
            .bind(actor.1)
            .bind(ms(at))
            .bind(note)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
            if let Some(r) = row {
                let p = punch_row(&r);
                let audit = Audit::new(actor, if accept { "accept" } else { "reject" }, "punch_hold", &id.to_string())
                    .before(serde_json::json!({"hold": before, "review": p.p.review}))
                    .after(serde_json::json!({"hold": state.as_str(), "note": note}));
                super::audit::write_audit(&mut tx, &audit).await?;
                // The fraud signals that held it share the decision (issue 23).
                sqlx::query(
                    "UPDATE punch_signals SET decision = $1, decided_by = $2, decided_at = $3 WHERE punch_id = $4",
                )
                .bind(state.as_str())
                .bind(actor.1)
                .bind(ms(at))
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                out.push(p);
            }
        }
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }

    async fn verify_chain(&self) -> Result<ChainReport> {
        use futures_util::TryStreamExt;
        let mut rows = sqlx::query(concat!("SELECT ", cols!(), " FROM punches ORDER BY id")).fetch(&self.read);
        let mut prev = GENESIS.to_string();
        let mut checked = 0u64;
        while let Some(r) = rows.try_next().await.map_err(db_err)? {
            let p = punch_row(&r);
            checked += 1;
            let expected = link_hash(&prev, &p.p);
            if p.prev_hash != prev || p.hash != expected {
                return Ok(ChainReport { checked, first_broken: Some((p.id, expected)) });
            }
            prev = p.hash;
        }
        Ok(ChainReport { checked, first_broken: None })
    }
}

/// A `CountingPunch` from a row of `id, employee_id, punched_at, source`.
fn counting_row(r: &DbRow) -> CountingPunch {
    CountingPunch {
        id: r.get("id"),
        employee_id: r.get("employee_id"),
        punched_at: ts(r.get("punched_at")),
        source: PunchSource::parse(r.get("source")).unwrap_or(PunchSource::Mobile),
    }
}

/// The check-in's bounded read (see `checkin_punches`): the retry's row as a flag (`retry`
/// true), then three slim parts of at most `per_part` rows each, all five columns wide.
fn checkin_sql(per_part: u32) -> String {
    let part = |lo: &str, hi: &str, dir: &str| {
        format!(
            " UNION ALL SELECT id, employee_id, punched_at, source, FALSE
             FROM (SELECT id, employee_id, punched_at, source
             FROM punches WHERE employee_id = $2 AND {range}
             AND NOT quarantined AND (hold IS NULL OR hold = 'accepted') ORDER BY {at} {dir}, id {dir} LIMIT {n}) p",
            range = crate::dialect::checkin_range("$2", lo, hi),
            at = crate::dialect::CHECKIN_ORDER_AT,
            n = u64::from(per_part),
        )
    };
    format!(
        "SELECT id, employee_id, punched_at, source, TRUE AS retry FROM punches WHERE dedup_key = $1{}{}{}",
        part("$3", "$4", "ASC"),
        part("$4", "$6", "ASC"),
        part("$5", "$6", "DESC"),
    )
}

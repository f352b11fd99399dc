use crate::{PgStore, db_err, ms, not_found, ts};
use async_trait::async_trait;
use hadir_store::chain::{GENESIS, link_hash};
use hadir_store::*;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};
use std::collections::HashMap;

macro_rules! cols {
    () => {
        "id, employee_id, source, dedup_key, punched_at, received_at, captured_at, device_sn, device_pin,
    lat, lon, accuracy_m, distance_m, location_name, photo_hash, note, review, review_detail, status, verify,
    quarantined, response, prev_hash, hash, hold, hold_by, hold_at, hold_note, photo_purged_at, position_purged_at"
    };
}

fn punch_row(r: &PgRow) -> Punch {
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

/// One multi-row insert for the whole batch: each column is bound as an array and unnested.
async fn insert_rows(conn: &mut PgConnection, ps: &[Punch]) -> Result<()> {
    fn col<T, F: Fn(&Punch) -> T>(ps: &[Punch], f: F) -> Vec<T> {
        ps.iter().map(f).collect()
    }
    sqlx::query(
        "INSERT INTO punches (id, employee_id, source, dedup_key, punched_at, received_at, captured_at, device_sn,
            device_pin, lat, lon, accuracy_m, distance_m, location_name, photo_hash, note, review, review_detail,
            status, verify, quarantined, response, prev_hash, hash, hold)
         SELECT * FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[], $5::BIGINT[], $6::BIGINT[],
            $7::BIGINT[], $8::TEXT[], $9::TEXT[], $10::FLOAT8[], $11::FLOAT8[], $12::FLOAT8[], $13::FLOAT8[],
            $14::TEXT[], $15::TEXT[], $16::TEXT[], $17::TEXT[], $18::TEXT[], $19::BIGINT[], $20::BIGINT[],
            $21::BOOLEAN[], $22::TEXT[], $23::TEXT[], $24::TEXT[], $25::TEXT[])",
    )
    .bind(col(ps, |x| x.id))
    .bind(col(ps, |x| x.p.employee_id))
    .bind(col(ps, |x| x.p.source.as_str()))
    .bind(col(ps, |x| x.p.dedup_key.clone()))
    .bind(col(ps, |x| ms(x.p.punched_at)))
    .bind(col(ps, |x| ms(x.p.received_at)))
    .bind(col(ps, |x| x.p.captured_at.map(ms)))
    .bind(col(ps, |x| x.p.device_sn.clone()))
    .bind(col(ps, |x| x.p.device_pin.clone()))
    .bind(col(ps, |x| x.p.lat))
    .bind(col(ps, |x| x.p.lon))
    .bind(col(ps, |x| x.p.accuracy_m))
    .bind(col(ps, |x| x.p.distance_m))
    .bind(col(ps, |x| x.p.location_name.clone()))
    .bind(col(ps, |x| x.p.photo_hash.clone()))
    .bind(col(ps, |x| x.p.note.clone()))
    .bind(col(ps, |x| x.p.review.clone()))
    .bind(col(ps, |x| x.p.review_detail.clone()))
    .bind(col(ps, |x| x.p.status))
    .bind(col(ps, |x| x.p.verify))
    .bind(col(ps, |x| x.p.quarantined))
    .bind(col(ps, |x| x.p.response.clone()))
    .bind(col(ps, |x| x.prev_hash.clone()))
    .bind(col(ps, |x| x.hash.clone()))
    .bind(col(ps, |x| x.p.hold.map(|h| h.as_str())))
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

#[async_trait]
impl PunchStore for PgStore {
    async fn insert_punches(&self, batch: &[NewPunch]) -> Result<Vec<PunchInsert>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.write.begin().await.map_err(db_err)?;
        // Serialise appends: whoever holds the chain head row appends next, so the chain has one
        // order across every connection and instance. Held until commit or rollback.
        let mut prev: String = sqlx::query_scalar("SELECT hash FROM chain_head WHERE id = 1 FOR UPDATE")
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
        // Keys already stored (committed before we took the lock: nobody else can add one now).
        let keys: Vec<&str> = batch.iter().map(|p| p.dedup_key.as_str()).collect();
        let rows = sqlx::query(concat!("SELECT ", cols!(), " FROM punches WHERE dedup_key = ANY($1)"))
            .bind(&keys)
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err)?;
        let mut known: HashMap<String, Punch> =
            rows.iter().map(punch_row).map(|p| (p.p.dedup_key.clone(), p)).collect();
        let fresh = batch.iter().filter(|p| !known.contains_key(&p.dedup_key)).count();
        // Ids in chain order: taken from the sequence under the lock, so they grow along the chain.
        let mut ids: Vec<Id> = if fresh == 0 {
            Vec::new()
        } else {
            sqlx::query_scalar("SELECT nextval(pg_get_serial_sequence('punches', 'id')) FROM generate_series(1, $1)")
                .bind(fresh as i64)
                .fetch_all(&mut *tx)
                .await
                .map_err(db_err)?
        };
        ids.sort_unstable();
        let mut ids = ids.into_iter();
        let mut out = Vec::with_capacity(batch.len());
        let mut new: Vec<Punch> = Vec::with_capacity(fresh);
        for p in batch {
            if let Some(k) = known.get(&p.dedup_key) {
                out.push(PunchInsert::Duplicate(k.clone()));
                continue;
            }
            let hash = link_hash(&prev, p);
            let id = ids.next().ok_or_else(|| StoreError::Backend("punch id sequence ran short".into()))?;
            let punch = Punch {
                id,
                p: p.clone(),
                prev_hash: prev.clone(),
                hash: hash.clone(),
                decision: None,
                photo_purged_at: None,
                position_purged_at: None,
            };
            known.insert(p.dedup_key.clone(), punch.clone());
            out.push(PunchInsert::Inserted(punch.clone()));
            new.push(punch);
            prev = hash;
        }
        if !new.is_empty() {
            insert_rows(&mut tx, &new).await?;
            sqlx::query("UPDATE chain_head SET hash = $1 WHERE id = 1")
                .bind(&prev)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(out)
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
        let mut qb = QueryBuilder::<Postgres>::new(concat!("SELECT ", cols!(), " FROM punches WHERE TRUE"));
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
        if let Some(h) = f.hold {
            qb.push(" AND hold = ").push_bind(h.as_str());
        }
        if let Some(paths) = &f.subtrees {
            qb.push(" AND employee_id IN (SELECT e.id FROM employees e JOIN units u ON u.id = e.unit_id WHERE FALSE");
            for path in paths {
                qb.push(" OR u.path LIKE ").push_bind(format!("{path}%"));
            }
            qb.push(")");
        }
        qb.push(" ORDER BY punched_at, id LIMIT ").push_bind(if f.limit == 0 { 10_000 } else { f.limit } as i64);
        qb.push(" OFFSET ").push_bind(f.offset as i64);
        let rows = qb.build().fetch_all(&self.read).await.map_err(db_err)?;
        Ok(rows.iter().map(punch_row).collect())
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
            let row = sqlx::query(concat!(
                "UPDATE punches SET hold = $1, hold_by = $2, hold_at = $3, hold_note = $4 WHERE id = $5 AND hold = 'pending' RETURNING ",
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
                    .before(serde_json::json!({"hold": "pending", "review": p.p.review}))
                    .after(serde_json::json!({"hold": state.as_str(), "note": note}));
                crate::audit::write_audit(&mut tx, &audit).await?;
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

use super::audit::write_audit;
use super::{Conn, Db, DbRow, Store, db_err, ms, not_found, ts};
use crate::dialect as d;
use async_trait::async_trait;
use hadir_store::*;
use jiff::Timestamp;
use sqlx::{AssertSqlSafe, QueryBuilder, Row};

const DEVICE_SELECT: &str = "SELECT d.id, d.sn, d.state, d.unit_id, u.code AS unit_code, u.name AS unit_name,
    u.path AS unit_path, u.timezone AS unit_timezone, d.timezone, d.auto_registered, d.model, d.firmware, d.pushver,
    d.ip, d.reported_ip, d.last_seen, d.users, d.fingerprints, d.records, d.attlog_stamp, d.operlog_stamp,
    d.attphoto_stamp, d.relay_id, r.name AS relay_name, d.lan_address, d.last_pull, d.reachable, d.last_error,
    d.clock_drift_secs, d.created_at, d.bound_cidr, d.proposed_by,
    (SELECT COUNT(*) FROM device_commands c WHERE c.device_id = d.id AND c.state = 'queued') AS pending_commands,
    (SELECT COUNT(*) FROM quarantined_punches q WHERE q.device_sn = d.sn) AS quarantined
    FROM devices d LEFT JOIN units u ON u.id = d.unit_id LEFT JOIN relays r ON r.id = d.relay_id";

fn device_row(r: &DbRow) -> Device {
    Device {
        id: r.get("id"),
        sn: r.get("sn"),
        state: DeviceState::parse(r.get("state")).unwrap_or(DeviceState::Pending),
        unit_id: r.get("unit_id"),
        unit_code: r.get("unit_code"),
        unit_name: r.get("unit_name"),
        unit_path: r.get("unit_path"),
        unit_timezone: r.get("unit_timezone"),
        timezone: r.get("timezone"),
        auto_registered: r.get::<bool, _>("auto_registered"),
        model: r.get("model"),
        firmware: r.get("firmware"),
        pushver: r.get("pushver"),
        ip: r.get("ip"),
        reported_ip: r.get("reported_ip"),
        last_seen: r.get::<Option<i64>, _>("last_seen").map(ts),
        users: r.get("users"),
        fingerprints: r.get("fingerprints"),
        records: r.get("records"),
        attlog_stamp: r.get("attlog_stamp"),
        operlog_stamp: r.get("operlog_stamp"),
        attphoto_stamp: r.get("attphoto_stamp"),
        relay_id: r.get("relay_id"),
        relay_name: r.get("relay_name"),
        lan_address: r.get("lan_address"),
        last_pull: r.get::<Option<i64>, _>("last_pull").map(ts),
        reachable: r.get::<Option<bool>, _>("reachable"),
        last_error: r.get("last_error"),
        clock_drift_secs: r.get("clock_drift_secs"),
        pending_commands: r.get("pending_commands"),
        created_at: ts(r.get("created_at")),
        bound_cidr: r.get("bound_cidr"),
        proposed_by: r.get("proposed_by"),
        quarantined: r.get("quarantined"),
    }
}

fn quarantined_row(r: &DbRow) -> QuarantinedPunch {
    QuarantinedPunch {
        id: r.get("id"),
        device_sn: r.get("device_sn"),
        pin: r.get("pin"),
        local_time: r.get("local_time"),
        timezone: r.get("timezone"),
        status: r.get("status"),
        verify: r.get("verify"),
        source: PunchSource::parse(r.get("source")).unwrap_or(PunchSource::Terminal),
        received_at: ts(r.get("received_at")),
    }
}

/// Whether the pending terminals have reached `max` (counted under `lock_pending`).
async fn pending_full(tx: &mut Conn, max: u64) -> Result<bool> {
    d::lock_pending(&mut *tx).await?;
    let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM devices WHERE state = 'pending'")
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
    Ok(pending as u64 >= max)
}

const COMMAND_SELECT: &str = "SELECT c.id, d.sn, c.command, c.state, c.return_code, c.meaning, c.created_at,
    c.sent_at, c.done_at FROM device_commands c JOIN devices d ON d.id = c.device_id";

fn command_row(r: &DbRow) -> DeviceCommand {
    DeviceCommand {
        id: r.get("id"),
        sn: r.get("sn"),
        command: r.get("command"),
        state: CommandState::parse(r.get("state")).unwrap_or(CommandState::Queued),
        return_code: r.get("return_code"),
        meaning: r.get("meaning"),
        created_at: ts(r.get("created_at")),
        sent_at: r.get::<Option<i64>, _>("sent_at").map(ts),
        done_at: r.get::<Option<i64>, _>("done_at").map(ts),
    }
}

const RELAY_SELECT: &str = "SELECT r.id, r.name, r.unit_id, u.code AS unit_code, u.path AS unit_path, r.revoked,
    r.created_at, r.last_seen, r.sync_requested, r.local_url FROM relays r JOIN units u ON u.id = r.unit_id";

fn relay_row(r: &DbRow) -> Relay {
    Relay {
        id: r.get("id"),
        name: r.get("name"),
        unit_id: r.get("unit_id"),
        unit_code: r.get("unit_code"),
        unit_path: r.get("unit_path"),
        revoked: r.get::<bool, _>("revoked"),
        created_at: ts(r.get("created_at")),
        last_seen: r.get::<Option<i64>, _>("last_seen").map(ts),
        sync_requested: r.get::<bool, _>("sync_requested"),
        local_url: r.get("local_url"),
    }
}

async fn load_device(conn: &mut Conn, sn: &str) -> Result<Device> {
    let sql = format!("{DEVICE_SELECT} WHERE d.sn = $1");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(sn).fetch_one(conn).await.map_err(not_found("device"))?;
    Ok(device_row(&r))
}

async fn load_relay(conn: &mut Conn, id: Id) -> Result<Relay> {
    let sql = format!("{RELAY_SELECT} WHERE r.id = $1");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_one(conn).await.map_err(not_found("relay"))?;
    Ok(relay_row(&r))
}

async fn unit_id(conn: &mut Conn, code: &str) -> Result<Id> {
    sqlx::query_scalar("SELECT id FROM units WHERE code = $1")
        .bind(code)
        .fetch_one(conn)
        .await
        .map_err(not_found("unit"))
}

async fn device_id(conn: &mut Conn, sn: &str) -> Result<Id> {
    sqlx::query_scalar("SELECT id FROM devices WHERE sn = $1")
        .bind(sn)
        .fetch_one(conn)
        .await
        .map_err(not_found("device"))
}

/// A short summary for audit records.
fn summary(d: &Device) -> serde_json::Value {
    serde_json::json!({
        "sn": d.sn, "state": d.state.as_str(), "unit_code": d.unit_code, "timezone": d.timezone,
    })
}

#[async_trait]
impl DeviceStore for Store {
    async fn register_device(&self, nd: &NewDevice, audit: Audit) -> Result<Device> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let unit = unit_id(&mut tx, &nd.unit_code).await?;
        let existing = sqlx::query(AssertSqlSafe(format!(
            "SELECT state, auto_registered FROM devices WHERE sn = $1{}",
            d::FOR_UPDATE
        )))
        .bind(&nd.sn)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        let before = match existing {
            Some(r) => {
                let pending = r.get::<&str, _>("state") == "pending";
                if !pending && !r.get::<bool, _>("auto_registered") {
                    return Err(StoreError::Conflict("sn".into()));
                }
                let before = load_device(&mut tx, &nd.sn).await?;
                sqlx::query(
                    "UPDATE devices SET unit_id = $1, state = 'active', timezone = $2, auto_registered = FALSE WHERE sn = $3",
                )
                .bind(unit)
                .bind(&nd.timezone)
                .bind(&nd.sn)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                Some(summary(&before))
            }
            None => {
                sqlx::query(
                    "INSERT INTO devices (sn, unit_id, state, timezone, created_at) VALUES ($1, $2, 'active', $3, $4)",
                )
                .bind(&nd.sn)
                .bind(unit)
                .bind(&nd.timezone)
                .bind(ms(Timestamp::now()))
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                None
            }
        };
        let d = load_device(&mut tx, &nd.sn).await?;
        let mut audit = audit.after(summary(&d));
        audit.before = before;
        write_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(d)
    }

    async fn approve_device(&self, sn: &str, unit_code: &str, timezone: Option<&str>, audit: Audit) -> Result<Device> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let before = load_device(&mut tx, sn).await?;
        let unit = unit_id(&mut tx, unit_code).await?;
        sqlx::query(
            "UPDATE devices SET unit_id = $1, state = 'active', auto_registered = FALSE, timezone = COALESCE($2, timezone)
             WHERE sn = $3",
        )
        .bind(unit)
        .bind(timezone)
        .bind(sn)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let d = load_device(&mut tx, sn).await?;
        write_audit(&mut tx, &audit.before(summary(&before)).after(summary(&d))).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(d)
    }

    async fn set_device_timezone(&self, sn: &str, timezone: Option<&str>, audit: Audit) -> Result<Device> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let before = load_device(&mut tx, sn).await?;
        sqlx::query("UPDATE devices SET timezone = $1 WHERE sn = $2")
            .bind(timezone)
            .bind(sn)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let d = load_device(&mut tx, sn).await?;
        write_audit(&mut tx, &audit.before(summary(&before)).after(summary(&d))).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(d)
    }

    async fn device_by_sn(&self, sn: &str) -> Result<Device> {
        let mut conn = self.read.acquire().await.map_err(db_err)?;
        load_device(&mut conn, sn).await
    }

    async fn list_devices(&self, f: &DeviceFilter) -> Result<Vec<Device>> {
        let mut qb = QueryBuilder::<Db>::new(DEVICE_SELECT);
        qb.push(" WHERE TRUE");
        if let Some(s) = f.state {
            qb.push(" AND d.state = ").push_bind(s.as_str());
        }
        if let Some(paths) = &f.subtrees {
            qb.push(" AND (FALSE");
            for p in paths {
                qb.push(" OR u.path LIKE ").push_bind(format!("{p}%"));
            }
            qb.push(")");
        }
        if let Some(code) = &f.unit_code {
            qb.push(" AND u.path LIKE (SELECT path FROM units WHERE code = ").push_bind(code.clone()).push(") || '%'");
        }
        if let Some(r) = f.relay_id {
            qb.push(" AND d.relay_id = ").push_bind(r);
        }
        qb.push(" ORDER BY d.sn");
        let rows = qb.build().fetch_all(&self.read).await.map_err(db_err)?;
        Ok(rows.iter().map(device_row).collect())
    }

    async fn device_contact(&self, c: &DeviceContact) -> Result<Device> {
        let at = ms(c.at.unwrap_or_else(Timestamp::now));
        let mut tx = self.write.begin().await.map_err(db_err)?;
        if let Some(max) = c.max_pending {
            let known: Option<Id> = sqlx::query_scalar("SELECT id FROM devices WHERE sn = $1")
                .bind(&c.sn)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
            if known.is_none() && pending_full(&mut tx, max).await? {
                return Err(StoreError::Conflict("max_pending".into()));
            }
        }
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO devices (sn, state, created_at, last_seen, ip, pushver, model, firmware, reported_ip, users,
                fingerprints, records)
             VALUES ($1, 'pending', $2, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT(sn) DO UPDATE SET
                last_seen = {greatest}(COALESCE(devices.last_seen, 0), excluded.last_seen),
                ip = COALESCE(excluded.ip, devices.ip),
                pushver = COALESCE(excluded.pushver, devices.pushver),
                model = COALESCE(excluded.model, devices.model),
                firmware = COALESCE(excluded.firmware, devices.firmware),
                reported_ip = COALESCE(excluded.reported_ip, devices.reported_ip),
                users = COALESCE(excluded.users, devices.users),
                fingerprints = COALESCE(excluded.fingerprints, devices.fingerprints),
                records = COALESCE(excluded.records, devices.records)",
            greatest = d::GREATEST
        )))
        .bind(&c.sn)
        .bind(at)
        .bind(&c.ip)
        .bind(&c.pushver)
        .bind(&c.model)
        .bind(&c.firmware)
        .bind(&c.reported_ip)
        .bind(c.users)
        .bind(c.fingerprints)
        .bind(c.records)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let d = load_device(&mut tx, &c.sn).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(d)
    }

    async fn set_device_stamps(&self, sn: &str, s: StampUpdate) -> Result<()> {
        sqlx::query(
            "UPDATE devices SET attlog_stamp = COALESCE($1, attlog_stamp), operlog_stamp = COALESCE($2, operlog_stamp),
             attphoto_stamp = COALESCE($3, attphoto_stamp) WHERE sn = $4",
        )
        .bind(s.attlog)
        .bind(s.operlog)
        .bind(s.attphoto)
        .bind(sn)
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn reset_device_stamps(&self, sn: &str, audit: Audit) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let n = sqlx::query("UPDATE devices SET attlog_stamp = 0, operlog_stamp = 0, attphoto_stamp = 0 WHERE sn = $1")
            .bind(sn)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound("device"));
        }
        write_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    async fn queue_device_commands(
        &self,
        sn: &str,
        commands: &[String],
        audit: Option<Audit>,
    ) -> Result<Vec<DeviceCommand>> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let dev = device_id(&mut tx, sn).await?;
        let now = ms(Timestamp::now());
        let ids = d::insert_commands(&mut tx, dev, commands, now).await?;
        if let Some(a) = audit {
            write_audit(&mut tx, &a).await?;
        }
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let mut qb = QueryBuilder::<Db>::new(format!("{COMMAND_SELECT} WHERE c.id"));
            d::push_in_ids(&mut qb, chunk);
            qb.push(" ORDER BY c.id");
            out.extend(qb.build().fetch_all(&mut *tx).await.map_err(db_err)?.iter().map(command_row));
        }
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }

    async fn queued_device_commands(&self, sn: &str, limit: u32) -> Result<Vec<DeviceCommand>> {
        let sql = format!("{COMMAND_SELECT} WHERE d.sn = $1 AND c.state = 'queued' ORDER BY c.id LIMIT $2");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(sn)
            .bind(limit as i64)
            .fetch_all(&self.read)
            .await
            .map_err(db_err)?;
        Ok(rows.iter().map(command_row).collect())
    }

    async fn mark_device_commands_sent(&self, sn: &str, ids: &[Id], at: Timestamp) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let dev = device_id(&mut tx, sn).await?;
        for id in ids {
            sqlx::query(
                "UPDATE device_commands SET state = 'sent', sent_at = $1 WHERE id = $2 AND device_id = $3 AND state = 'queued'",
            )
            .bind(ms(at))
            .bind(id)
            .bind(dev)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    async fn record_device_command_results(&self, sn: &str, results: &[CommandOutcome], at: Timestamp) -> Result<u64> {
        if results.is_empty() {
            return Ok(0);
        }
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let dev = device_id(&mut tx, sn).await?;
        let mut n = 0;
        for o in results {
            n += sqlx::query(
                "UPDATE device_commands SET state = $1, return_code = $2, meaning = $3, done_at = $4,
                 sent_at = COALESCE(sent_at, $5) WHERE id = $6 AND device_id = $7",
            )
            .bind(if o.return_code >= 0 { "ok" } else { "error" })
            .bind(o.return_code)
            .bind(&o.meaning)
            .bind(ms(at))
            .bind(ms(at))
            .bind(o.id)
            .bind(dev)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        }
        tx.commit().await.map_err(db_err)?;
        Ok(n)
    }

    async fn list_device_commands(&self, sn: &str, limit: u32) -> Result<Vec<DeviceCommand>> {
        let sql = format!("{COMMAND_SELECT} WHERE d.sn = $1 ORDER BY c.id DESC LIMIT $2");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(sn)
            .bind(limit as i64)
            .fetch_all(&self.read)
            .await
            .map_err(db_err)?;
        Ok(rows.iter().map(command_row).collect())
    }

    async fn take_device_commands(
        &self,
        sn: &str,
        limit: u32,
        at: Timestamp,
        fit: &(dyn for<'c> Fn(&'c [DeviceCommand]) -> usize + Send + Sync),
    ) -> Result<Vec<DeviceCommand>> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        // Hold the terminal's queue: a concurrent poll waits here, then sees what we sent.
        let dev: Option<Id> =
            sqlx::query_scalar(AssertSqlSafe(format!("SELECT id FROM devices WHERE sn = $1{}", d::FOR_UPDATE)))
                .bind(sn)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
        let Some(dev) = dev else { return Ok(Vec::new()) };
        let sql = format!("{COMMAND_SELECT} WHERE c.device_id = $1 AND c.state = 'queued' ORDER BY c.id LIMIT $2");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(dev)
            .bind(limit as i64)
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err)?;
        let mut out: Vec<DeviceCommand> = rows.iter().map(command_row).collect();
        out.truncate(fit(&out));
        let ids: Vec<Id> = out.iter().map(|c| c.id).collect();
        let mut qb = QueryBuilder::<Db>::new("UPDATE device_commands SET state = 'sent', sent_at = ");
        qb.push_bind(ms(at)).push(" WHERE id");
        d::push_in_ids(&mut qb, &ids);
        qb.build().execute(&mut *tx).await.map_err(db_err)?;
        for c in &mut out {
            c.state = CommandState::Sent;
            c.sent_at = Some(at);
        }
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }

    async fn create_relay(&self, name: &str, unit_code: &str, token_hash: &[u8], audit: Audit) -> Result<Relay> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let unit = unit_id(&mut tx, unit_code).await?;
        let id: Id = sqlx::query_scalar(
            "INSERT INTO relays (name, unit_id, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(name)
        .bind(unit)
        .bind(token_hash)
        .bind(ms(Timestamp::now()))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let relay = load_relay(&mut tx, id).await?;
        let mut audit = audit.after(serde_json::json!({"id": id, "name": name, "unit_code": unit_code}));
        audit.entity_id = id.to_string();
        write_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(relay)
    }

    async fn relay_by_token(&self, token_hash: &[u8]) -> Result<Relay> {
        let sql = format!("{RELAY_SELECT} WHERE r.token_hash = $1 AND NOT r.revoked");
        let r = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(token_hash)
            .fetch_one(&self.read)
            .await
            .map_err(not_found("relay"))?;
        Ok(relay_row(&r))
    }

    async fn relay_by_id(&self, id: Id) -> Result<Relay> {
        let mut conn = self.read.acquire().await.map_err(db_err)?;
        load_relay(&mut conn, id).await
    }

    async fn revoke_relay(&self, id: Id, audit: Audit) -> Result<Relay> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        load_relay(&mut tx, id).await?;
        sqlx::query("UPDATE relays SET revoked = TRUE WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let relay = load_relay(&mut tx, id).await?;
        write_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(relay)
    }

    async fn list_relays(&self) -> Result<Vec<Relay>> {
        let sql = format!("{RELAY_SELECT} ORDER BY r.id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.read).await.map_err(db_err)?;
        Ok(rows.iter().map(relay_row).collect())
    }

    async fn relay_report(&self, relay_id: Id, terminals: &[RelayTerminal], at: Timestamp) -> Result<RelayReport> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let relay = load_relay(&mut tx, relay_id).await?;
        sqlx::query("UPDATE relays SET last_seen = $1 WHERE id = $2")
            .bind(ms(at))
            .bind(relay_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let mut report = RelayReport::default();
        for t in terminals {
            // Heard from: the last successful pull (or now, when the relay does not say).
            let seen = match t.reachable {
                Some(false) => None,
                _ => Some(ms(t.last_pull.unwrap_or(at))),
            };
            let known = sqlx::query(AssertSqlSafe(format!(
                "SELECT d.state, d.relay_id, u.path AS unit_path FROM devices d LEFT JOIN units u ON u.id = d.unit_id
                 WHERE d.sn = $1{}",
                d::for_update_of("d")
            )))
            .bind(&t.sn)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
            let linked = known.as_ref().and_then(|r| r.get::<Option<Id>, _>("relay_id"));
            match known {
                None => {
                    sqlx::query(
                        "INSERT INTO devices (sn, unit_id, state, auto_registered, created_at) VALUES ($1, $2, 'pending', TRUE, $3)
                         ON CONFLICT (sn) DO NOTHING",
                    )
                    .bind(&t.sn)
                    .bind(relay.unit_id)
                    .bind(ms(at))
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                }
                Some(r) => match r.get::<Option<String>, _>("unit_path") {
                    None => {
                        // Called in by PUSH, no unit yet: it is pending in the relay's unit now.
                        sqlx::query("UPDATE devices SET unit_id = $1, auto_registered = TRUE WHERE sn = $2")
                            .bind(relay.unit_id)
                            .bind(&t.sn)
                            .execute(&mut *tx)
                            .await
                            .map_err(db_err)?;
                    }
                    Some(p) if p.starts_with(&relay.unit_path) => {}
                    Some(_) => {
                        report.refused.push(t.sn.clone());
                        continue;
                    }
                },
            }
            sqlx::query(AssertSqlSafe(format!(
                "UPDATE devices SET relay_id = $1, lan_address = COALESCE($2, lan_address),
                    firmware = COALESCE($3, firmware), users = COALESCE($4, users), records = COALESCE($5, records),
                    clock_drift_secs = COALESCE($6, clock_drift_secs), last_pull = COALESCE($7, last_pull),
                    reachable = COALESCE($8, reachable), last_error = $9,
                    last_seen = CASE WHEN $10 IS NULL THEN last_seen ELSE {greatest}(COALESCE(last_seen, 0), $10) END
                 WHERE sn = $11",
                greatest = d::GREATEST
            )))
            .bind(relay_id)
            .bind(&t.lan_address)
            .bind(&t.firmware)
            .bind(t.users)
            .bind(t.records)
            .bind(t.clock_drift_secs)
            .bind(t.last_pull.map(ms))
            .bind(t.reachable)
            .bind(&t.last_error)
            .bind(seen)
            .bind(&t.sn)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            if linked != Some(relay_id) {
                report.joined.push(t.sn.clone());
            }
            report.devices.push(load_device(&mut tx, &t.sn).await?);
        }
        tx.commit().await.map_err(db_err)?;
        Ok(report)
    }

    async fn bind_device(&self, sn: &str, cidr: Option<&str>, audit: Audit) -> Result<Device> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let before = load_device(&mut tx, sn).await?;
        sqlx::query("UPDATE devices SET bound_cidr = $1 WHERE sn = $2")
            .bind(cidr)
            .bind(sn)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let d = load_device(&mut tx, sn).await?;
        let audit = audit
            .before(serde_json::json!({"sn": sn, "bound_cidr": before.bound_cidr, "ip": before.ip}))
            .after(serde_json::json!({"sn": sn, "bound_cidr": d.bound_cidr}));
        write_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(d)
    }

    async fn propose_device(
        &self,
        sn: &str,
        unit_code: &str,
        proposed_by: &str,
        max_pending: u64,
        audit: Audit,
    ) -> Result<Device> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let unit = unit_id(&mut tx, unit_code).await?;
        let state: Option<String> =
            sqlx::query_scalar(AssertSqlSafe(format!("SELECT state FROM devices WHERE sn = $1{}", d::FOR_UPDATE)))
                .bind(sn)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
        match state.as_deref() {
            None => {
                if pending_full(&mut tx, max_pending).await? {
                    return Err(StoreError::Conflict("max_pending".into()));
                }
                sqlx::query(
                    "INSERT INTO devices (sn, unit_id, state, proposed_by, created_at) VALUES ($1, $2, 'pending', $3, $4)",
                )
                .bind(sn)
                .bind(unit)
                .bind(proposed_by)
                .bind(ms(Timestamp::now()))
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            }
            Some("pending") => {
                sqlx::query("UPDATE devices SET unit_id = $1, proposed_by = $2 WHERE sn = $3")
                    .bind(unit)
                    .bind(proposed_by)
                    .bind(sn)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
            }
            Some(_) => return Err(StoreError::Conflict("sn".into())),
        }
        let d = load_device(&mut tx, sn).await?;
        write_audit(&mut tx, &audit.after(summary(&d))).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(d)
    }

    async fn quarantine_punches(&self, punches: &[QuarantinedPunch]) -> Result<u64> {
        if punches.is_empty() {
            return Ok(0);
        }
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let mut n = 0;
        for p in punches {
            n += sqlx::query(
                "INSERT INTO quarantined_punches (device_sn, pin, local_time, timezone, status, verify, source,
                    received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            )
            .bind(&p.device_sn)
            .bind(&p.pin)
            .bind(&p.local_time)
            .bind(&p.timezone)
            .bind(p.status)
            .bind(p.verify)
            .bind(p.source.as_str())
            .bind(ms(p.received_at))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        }
        tx.commit().await.map_err(db_err)?;
        Ok(n)
    }

    async fn quarantined_punches(&self, sn: &str, limit: u32) -> Result<Vec<QuarantinedPunch>> {
        let rows = sqlx::query("SELECT * FROM quarantined_punches WHERE device_sn = $1 ORDER BY id LIMIT $2")
            .bind(sn)
            .bind(limit as i64)
            .fetch_all(&self.read)
            .await
            .map_err(db_err)?;
        Ok(rows.iter().map(quarantined_row).collect())
    }

    async fn delete_quarantined_punches(&self, ids: &[Id]) -> Result<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        let mut qb = QueryBuilder::<Db>::new("DELETE FROM quarantined_punches WHERE id");
        d::push_in_ids(&mut qb, ids);
        Ok(qb.build().execute(&self.write).await.map_err(db_err)?.rows_affected())
    }

    async fn discard_device(&self, sn: &str, audit: Audit) -> Result<u64> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let d = load_device(&mut tx, sn).await?;
        if d.state != DeviceState::Pending {
            return Err(StoreError::Conflict("state".into()));
        }
        let n = sqlx::query("DELETE FROM quarantined_punches WHERE device_sn = $1")
            .bind(sn)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        sqlx::query("DELETE FROM template_copies WHERE device_id = $1")
            .bind(d.id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query("DELETE FROM device_commands WHERE device_id = $1")
            .bind(d.id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query("DELETE FROM devices WHERE id = $1").bind(d.id).execute(&mut *tx).await.map_err(db_err)?;
        write_audit(&mut tx, &audit.before(summary(&d)).after(serde_json::json!({"discarded_punches": n}))).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(n)
    }

    async fn request_relay_sync(&self, relay_id: Id, audit: Audit) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let n = sqlx::query("UPDATE relays SET sync_requested = TRUE WHERE id = $1")
            .bind(relay_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound("relay"));
        }
        write_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    async fn take_relay_sync(&self, relay_id: Id) -> Result<bool> {
        let n = sqlx::query("UPDATE relays SET sync_requested = FALSE WHERE id = $1 AND sync_requested")
            .bind(relay_id)
            .execute(&self.write)
            .await
            .map_err(db_err)?
            .rows_affected();
        Ok(n > 0)
    }

    async fn set_relay_local_url(&self, relay_id: Id, url: Option<&str>) -> Result<()> {
        sqlx::query("UPDATE relays SET local_url = $1 WHERE id = $2 AND NOT (local_url IS NOT DISTINCT FROM $1)")
            .bind(url)
            .bind(relay_id)
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(())
    }
}

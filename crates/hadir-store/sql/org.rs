use super::audit::write_audit;
use super::{Conn, Db, DbRow, Store, date_text, db_err, not_found, text_date};
use crate::dialect as d;
use async_trait::async_trait;
use hadir_store::*;
use jiff::civil::Date;
use sqlx::{AssertSqlSafe, QueryBuilder, Row};

/// The first history row of an employee without a start date (in force for ever).
const HISTORY_START: &str = "1900-01-01";

pub(crate) const EMPLOYEE_COLS: &str =
    "e.id, e.account_id, e.nip, e.login, e.name, e.category, e.unit_id, u.code AS unit_code,
    u.name AS unit_name, u.timezone, e.position, e.tpp_base, e.device_pin, e.active, e.start_date,
    e.end_date, e.end_reason, e.service_start, e.gender, e.grade";

pub(crate) fn employee_row(r: &DbRow) -> Employee {
    Employee {
        id: r.get("id"),
        account_id: r.get("account_id"),
        nip: r.get("nip"),
        login: r.get("login"),
        name: r.get("name"),
        category: Category::parse(r.get::<&str, _>("category")).unwrap_or(Category::Honorer),
        unit_id: r.get("unit_id"),
        unit_code: r.get("unit_code"),
        unit_name: r.get("unit_name"),
        timezone: r.get("timezone"),
        position: r.get("position"),
        tpp_base: r.get("tpp_base"),
        device_pin: r.get("device_pin"),
        active: r.get::<bool, _>("active"),
        start_date: text_date(r.get("start_date")),
        end_date: text_date(r.get("end_date")),
        end_reason: r.get::<Option<&str>, _>("end_reason").and_then(EndReason::parse),
        service_start: text_date(r.get("service_start")),
        gender: r.get("gender"),
        grade: r.get::<Option<i32>, _>("grade").and_then(|g| i16::try_from(g).ok()),
    }
}

/// Appends the scope restriction (on the unit path `u.path` or employee `e.id`) to a WHERE clause.
pub(crate) fn push_scope(qb: &mut QueryBuilder<Db>, scope: &Scope) {
    match scope {
        Scope::All => {}
        Scope::Nothing => {
            qb.push(" AND FALSE");
        }
        Scope::Employee(id) => {
            qb.push(" AND e.id = ").push_bind(*id);
        }
        Scope::Subtrees(paths) => {
            qb.push(" AND (FALSE");
            for p in paths {
                qb.push(" OR u.path LIKE ").push_bind(format!("{p}%"));
            }
            qb.push(")");
        }
    }
}

async fn load_unit(conn: &mut Conn, where_sql: &str, key: impl ToString) -> Result<Unit> {
    let sql = format!(
        "SELECT u.id, u.code, u.name, u.parent_id, p.code AS parent_code, u.timezone, u.path
         FROM units u LEFT JOIN units p ON p.id = u.parent_id WHERE {where_sql}"
    );
    let r =
        sqlx::query(AssertSqlSafe(sql)).bind(key.to_string()).fetch_one(&mut *conn).await.map_err(not_found("unit"))?;
    let mut unit = unit_row(&r);
    unit.locations = locations_of(conn, unit.id).await?;
    Ok(unit)
}

fn unit_row(r: &DbRow) -> Unit {
    Unit {
        id: r.get("id"),
        code: r.get("code"),
        name: r.get("name"),
        parent_id: r.get("parent_id"),
        parent_code: r.get("parent_code"),
        timezone: r.get("timezone"),
        path: r.get("path"),
        locations: vec![],
    }
}

async fn locations_of(conn: &mut Conn, unit_id: Id) -> Result<Vec<Location>> {
    let rows = sqlx::query("SELECT id, name, lat, lon, radius_m FROM unit_locations WHERE unit_id = $1 ORDER BY id")
        .bind(unit_id)
        .fetch_all(conn)
        .await
        .map_err(db_err)?;
    Ok(rows
        .iter()
        .map(|r| Location {
            id: r.get("id"),
            name: r.get("name"),
            lat: r.get("lat"),
            lon: r.get("lon"),
            radius_m: r.get("radius_m"),
        })
        .collect())
}

async fn load_employee(conn: &mut Conn, where_sql: &str, key: impl ToString) -> Result<Employee> {
    let sql = format!("SELECT {EMPLOYEE_COLS} FROM employees e JOIN units u ON u.id = e.unit_id WHERE {where_sql}");
    let r =
        sqlx::query(AssertSqlSafe(sql)).bind(key.to_string()).fetch_one(conn).await.map_err(not_found("employee"))?;
    Ok(employee_row(&r))
}

async fn unit_id_by_code(conn: &mut Conn, code: &str) -> Result<Id> {
    sqlx::query_scalar("SELECT id FROM units WHERE code = $1")
        .bind(code)
        .fetch_one(conn)
        .await
        .map_err(not_found("unit"))
}

#[async_trait]
impl OrgStore for Store {
    async fn create_unit(&self, nu: &NewUnit, audit: Audit) -> Result<Unit> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let (parent_id, parent_path): (Option<Id>, String) = match &nu.parent_code {
            Some(pc) => {
                let r = sqlx::query("SELECT id, path FROM units WHERE code = $1")
                    .bind(pc)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .ok_or_else(|| StoreError::Invalid(format!("parent unit {pc} not found")))?;
                (Some(r.get("id")), r.get("path"))
            }
            None => (None, "/".to_string()),
        };
        let id: Id = sqlx::query_scalar(
            "INSERT INTO units (code, name, parent_id, timezone) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(&nu.code)
        .bind(&nu.name)
        .bind(parent_id)
        .bind(&nu.timezone)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        sqlx::query("UPDATE units SET path = $1 WHERE id = $2")
            .bind(format!("{parent_path}{id}/"))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        for l in &nu.locations {
            sqlx::query("INSERT INTO unit_locations (unit_id, name, lat, lon, radius_m) VALUES ($1, $2, $3, $4, $5)")
                .bind(id)
                .bind(&l.name)
                .bind(l.lat)
                .bind(l.lon)
                .bind(l.radius_m)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        let unit = load_unit(&mut tx, "u.id = CAST($1 AS BIGINT)", id).await?;
        write_audit(&mut tx, &audit.after(&unit)).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(unit)
    }

    async fn unit_by_code(&self, code: &str) -> Result<Unit> {
        let mut conn = self.read.acquire().await.map_err(db_err)?;
        load_unit(&mut conn, "u.code = $1", code).await
    }

    async fn add_location(&self, unit_id: Id, l: &NewLocation, audit: Audit) -> Result<Unit> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        // Lock the unit row (PostgreSQL; SQLite's single writer orders them anyway): concurrent
        // edits of one unit's locations audit in order.
        let before =
            load_unit(&mut tx, &format!("u.id = CAST($1 AS BIGINT){}", d::for_update_of("u")), unit_id).await?;
        sqlx::query("INSERT INTO unit_locations (unit_id, name, lat, lon, radius_m) VALUES ($1, $2, $3, $4, $5)")
            .bind(unit_id)
            .bind(&l.name)
            .bind(l.lat)
            .bind(l.lon)
            .bind(l.radius_m)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let unit = load_unit(&mut tx, "u.id = CAST($1 AS BIGINT)", unit_id).await?;
        write_audit(&mut tx, &audit.before(&before.locations).after(&unit.locations)).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(unit)
    }

    async fn update_location(&self, unit_id: Id, location_id: Id, l: &NewLocation, audit: Audit) -> Result<Unit> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let before =
            load_unit(&mut tx, &format!("u.id = CAST($1 AS BIGINT){}", d::for_update_of("u")), unit_id).await?;
        let n = sqlx::query(
            "UPDATE unit_locations SET name = $1, lat = $2, lon = $3, radius_m = $4 WHERE id = $5 AND unit_id = $6",
        )
        .bind(&l.name)
        .bind(l.lat)
        .bind(l.lon)
        .bind(l.radius_m)
        .bind(location_id)
        .bind(unit_id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound("location"));
        }
        let unit = load_unit(&mut tx, "u.id = CAST($1 AS BIGINT)", unit_id).await?;
        write_audit(&mut tx, &audit.before(&before.locations).after(&unit.locations)).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(unit)
    }

    async fn delete_location(&self, unit_id: Id, location_id: Id, audit: Audit) -> Result<Unit> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let before =
            load_unit(&mut tx, &format!("u.id = CAST($1 AS BIGINT){}", d::for_update_of("u")), unit_id).await?;
        if !before.locations.iter().any(|l| l.id == location_id) {
            return Err(StoreError::NotFound("location"));
        }
        let used: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM employee_locations WHERE location_id = $1")
            .bind(location_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
        if used > 0 {
            return Err(StoreError::Conflict("location_in_use".into()));
        }
        sqlx::query("DELETE FROM unit_locations WHERE id = $1 AND unit_id = $2")
            .bind(location_id)
            .bind(unit_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let unit = load_unit(&mut tx, "u.id = CAST($1 AS BIGINT)", unit_id).await?;
        write_audit(&mut tx, &audit.before(&before.locations).after(&unit.locations)).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(unit)
    }

    async fn unit_by_id(&self, id: Id) -> Result<Unit> {
        let mut conn = self.read.acquire().await.map_err(db_err)?;
        load_unit(&mut conn, "u.id = CAST($1 AS BIGINT)", id).await
    }

    async fn list_units(&self, scope: &Scope) -> Result<Vec<Unit>> {
        let mut qb = QueryBuilder::<Db>::new(
            "SELECT u.id, u.code, u.name, u.parent_id, p.code AS parent_code, u.timezone, u.path
             FROM units u LEFT JOIN units p ON p.id = u.parent_id WHERE TRUE",
        );
        let unit_scope;
        let scope = match scope {
            // An employee sees their own unit only.
            Scope::Employee(_) => {
                unit_scope = Scope::Nothing;
                &unit_scope
            }
            s => s,
        };
        push_scope(&mut qb, scope);
        qb.push(" ORDER BY u.path");
        let mut conn = self.read.acquire().await.map_err(db_err)?;
        let rows = qb.build().fetch_all(&mut *conn).await.map_err(db_err)?;
        let mut units: Vec<Unit> = rows.iter().map(unit_row).collect();
        let locs = sqlx::query("SELECT id, unit_id, name, lat, lon, radius_m FROM unit_locations ORDER BY id")
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?;
        let mut by_unit: std::collections::HashMap<Id, Vec<Location>> = Default::default();
        for r in &locs {
            by_unit.entry(r.get("unit_id")).or_default().push(Location {
                id: r.get("id"),
                name: r.get("name"),
                lat: r.get("lat"),
                lon: r.get("lon"),
                radius_m: r.get("radius_m"),
            });
        }
        for u in &mut units {
            u.locations = by_unit.remove(&u.id).unwrap_or_default();
        }
        Ok(units)
    }

    async fn create_employee(&self, ne: &NewEmployee, audit: Audit) -> Result<Employee> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let unit_id = unit_id_by_code(&mut tx, &ne.unit_code).await?;
        let account_id: Id = sqlx::query_scalar(
            "INSERT INTO accounts (username, password_hash, name, is_admin) VALUES ($1, $2, $3, FALSE) RETURNING id",
        )
        .bind(&ne.login)
        .bind(&ne.password_hash)
        .bind(&ne.name)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match db_err(e) {
            StoreError::Conflict(_) => StoreError::Conflict("login".into()),
            other => other,
        })?;
        let id: Id = sqlx::query_scalar(
            "INSERT INTO employees (account_id, nip, login, name, category, unit_id, position, tpp_base, device_pin, start_date)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(account_id)
        .bind(&ne.nip)
        .bind(&ne.login)
        .bind(&ne.name)
        .bind(ne.category.as_str())
        .bind(unit_id)
        .bind(&ne.position)
        .bind(ne.tpp_base)
        .bind(&ne.device_pin)
        .bind(ne.start_date.map(date_text))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        sqlx::query("INSERT INTO employee_units (employee_id, unit_id, effective_from) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(unit_id)
            .bind(ne.start_date.map(date_text).unwrap_or_else(|| HISTORY_START.into()))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let emp = load_employee(&mut tx, "e.id = CAST($1 AS BIGINT)", id).await?;
        write_audit(&mut tx, &audit.after(&emp)).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(emp)
    }

    async fn update_employee(&self, id: Id, u: &EmployeeUpdate, audit: Audit) -> Result<Employee> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let before = load_employee(&mut tx, "e.id = CAST($1 AS BIGINT)", id).await?;
        let unit_id = match &u.unit_code {
            Some(code) => unit_id_by_code(&mut tx, code).await?,
            None => before.unit_id,
        };
        // End of employment: set (inactive) or cleared (active again); a plain `active = true`
        // also clears it.
        let (end_date, end_reason, active) = match u.end {
            Some(Some((date, reason))) => (Some(date), Some(reason), false),
            Some(None) => (None, None, true),
            None => match u.active {
                Some(true) => (None, None, true),
                Some(false) => (before.end_date, before.end_reason, false),
                None => (before.end_date, before.end_reason, before.active),
            },
        };
        let pick = |new: &Option<Option<String>>, old: &Option<String>| new.clone().unwrap_or_else(|| old.clone());
        sqlx::query(
            "UPDATE employees SET name = $1, category = $2, unit_id = $3, position = $4, tpp_base = $5, device_pin = $6,
             start_date = $7, active = $8, end_date = $9, end_reason = $10 WHERE id = $11",
        )
        .bind(u.name.as_ref().unwrap_or(&before.name))
        .bind(u.category.unwrap_or(before.category).as_str())
        .bind(unit_id)
        .bind(pick(&u.position, &before.position))
        .bind(u.tpp_base.unwrap_or(before.tpp_base))
        .bind(pick(&u.device_pin, &before.device_pin))
        .bind(u.start_date.unwrap_or(before.start_date).map(date_text))
        .bind(active)
        .bind(end_date.map(date_text))
        .bind(end_reason.map(|r| r.as_str()))
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if unit_id != before.unit_id {
            // A transfer from a date: later history rows give way to it, earlier ones stay.
            let from =
                u.unit_from.unwrap_or_else(|| jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date());
            sqlx::query("DELETE FROM employee_units WHERE employee_id = $1 AND effective_from >= $2")
                .bind(id)
                .bind(date_text(from))
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            sqlx::query("INSERT INTO employee_units (employee_id, unit_id, effective_from) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(unit_id)
                .bind(date_text(from))
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        if u.service_start.is_some() || u.gender.is_some() || u.grade.is_some() {
            sqlx::query("UPDATE employees SET service_start = $1, gender = $2, grade = $3 WHERE id = $4")
                .bind(u.service_start.unwrap_or(before.service_start).map(date_text))
                .bind(u.gender.clone().unwrap_or_else(|| before.gender.clone()))
                .bind(u.grade.unwrap_or(before.grade).map(i32::from))
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        if let Some(end) = end_date
            && before.end_date != end_date
        {
            // No day after the end: stored records after it are derived data and go.
            sqlx::query("DELETE FROM day_records WHERE employee_id = $1 AND date > $2")
                .bind(id)
                .bind(date_text(end))
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        if active != before.active {
            sqlx::query("UPDATE accounts SET active = $1 WHERE id = $2")
                .bind(active)
                .bind(before.account_id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            if !active {
                sqlx::query("DELETE FROM sessions WHERE account_id = $1")
                    .bind(before.account_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
            }
        }
        let after = load_employee(&mut tx, "e.id = CAST($1 AS BIGINT)", id).await?;
        write_audit(&mut tx, &audit.before(&before).after(&after)).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(after)
    }

    async fn unit_history(&self, ids: &[Id]) -> Result<Vec<UnitSpell>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let mut qb = QueryBuilder::<Db>::new(
                "SELECT employee_id, unit_id, effective_from FROM employee_units WHERE employee_id IN (",
            );
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            qb.push(") ORDER BY employee_id, effective_from");
            let rows = qb.build().fetch_all(&self.read).await.map_err(db_err)?;
            for r in &rows {
                let Some(effective_from) = text_date(r.get("effective_from")) else { continue };
                out.push(UnitSpell { employee_id: r.get("employee_id"), unit_id: r.get("unit_id"), effective_from });
            }
        }
        Ok(out)
    }

    async fn employees_in_units_during(&self, path: Option<&str>, from: Date, to: Date) -> Result<Vec<Id>> {
        // A history row is in force during the range when it starts by its end and no later
        // row of the employee starts by its first day.
        let rows: Vec<Id> = sqlx::query_scalar(
            "SELECT DISTINCT h.employee_id FROM employee_units h
             JOIN units u ON u.id = h.unit_id JOIN employees e ON e.id = h.employee_id
             WHERE u.path LIKE $1 AND h.effective_from <= $2
               AND NOT EXISTS (SELECT 1 FROM employee_units n WHERE n.employee_id = h.employee_id
                               AND n.effective_from > h.effective_from AND n.effective_from <= $3)
               AND (e.start_date IS NULL OR e.start_date <= $2)
               AND (e.end_date IS NULL OR e.end_date >= $3)
             ORDER BY h.employee_id",
        )
        .bind(format!("{}%", path.unwrap_or("/")))
        .bind(date_text(to))
        .bind(date_text(from))
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        Ok(rows)
    }

    async fn employee_by_id(&self, id: Id) -> Result<Employee> {
        let mut conn = self.read.acquire().await.map_err(db_err)?;
        load_employee(&mut conn, "e.id = CAST($1 AS BIGINT)", id).await
    }

    async fn employees_by_ids(&self, ids: &[Id]) -> Result<Vec<Employee>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let mut qb = QueryBuilder::<Db>::new(format!(
                "SELECT {EMPLOYEE_COLS} FROM employees e JOIN units u ON u.id = e.unit_id WHERE e.id IN ("
            ));
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            qb.push(")");
            let rows = qb.build().fetch_all(&self.read).await.map_err(db_err)?;
            out.extend(rows.iter().map(employee_row));
        }
        Ok(out)
    }

    async fn employee_by_login(&self, login: &str) -> Result<Employee> {
        let mut conn = self.read.acquire().await.map_err(db_err)?;
        load_employee(&mut conn, "e.login = $1", login).await
    }

    async fn employee_by_device_pin(&self, pin: &str) -> Result<Employee> {
        let mut conn = self.read.acquire().await.map_err(db_err)?;
        load_employee(&mut conn, "e.device_pin = $1", pin).await
    }

    async fn list_employees(&self, scope: &Scope, f: &EmployeeFilter) -> Result<Page<Employee>> {
        let unit_path = match &f.unit_code {
            Some(code) => Some(self.unit_by_code(code).await?.path),
            None => None,
        };
        let q = f.q.as_ref().map(|q| format!("%{}%", q.trim()));
        let build = |select: &str| {
            let mut qb = QueryBuilder::<Db>::new(format!(
                "SELECT {select} FROM employees e JOIN units u ON u.id = e.unit_id WHERE TRUE"
            ));
            push_scope(&mut qb, scope);
            if let Some(p) = &unit_path {
                qb.push(" AND u.path LIKE ").push_bind(format!("{p}%"));
            }
            if let Some(q) = &q {
                qb.push(format!(" AND (e.name {} ", d::ILIKE))
                    .push_bind(q.clone())
                    .push(format!(" OR e.login {} ", d::ILIKE))
                    .push_bind(q.clone())
                    .push(")");
            }
            if let Some(c) = f.category {
                qb.push(" AND e.category = ").push_bind(c.as_str());
            }
            if let Some(a) = f.active {
                qb.push(" AND e.active = ").push_bind(a);
            }
            qb
        };
        let mut conn = self.read.acquire().await.map_err(db_err)?;
        let total: i64 = build("COUNT(*)").build_query_scalar().fetch_one(&mut *conn).await.map_err(db_err)?;
        let mut qb = build(EMPLOYEE_COLS);
        // LIMIT/OFFSET as literals: see `punches::list_punches`.
        qb.push(format_args!(" ORDER BY u.path, e.name LIMIT {} OFFSET {}", f.limit as i64, f.offset as i64));
        let rows = qb.build().fetch_all(&mut *conn).await.map_err(db_err)?;
        Ok(Page {
            items: rows.iter().map(employee_row).collect(),
            total: total as u64,
            offset: f.offset,
            limit: f.limit,
        })
    }

    async fn set_employee_location(&self, employee_id: Id, location_id: Id, assign: bool, audit: Audit) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let sql = if assign {
            "INSERT INTO employee_locations (employee_id, location_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        } else {
            "DELETE FROM employee_locations WHERE employee_id = $1 AND location_id = $2"
        };
        sqlx::query(sql).bind(employee_id).bind(location_id).execute(&mut *tx).await.map_err(|e| match db_err(e) {
            StoreError::Invalid(_) => StoreError::NotFound("location"),
            other => other,
        })?;
        write_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn employee_locations(&self, employee_id: Id) -> Result<Vec<Location>> {
        let rows = sqlx::query(
            "SELECT l.id, l.name, l.lat, l.lon, l.radius_m FROM employee_locations el
             JOIN unit_locations l ON l.id = el.location_id WHERE el.employee_id = $1 ORDER BY l.id",
        )
        .bind(employee_id)
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        Ok(rows
            .iter()
            .map(|r| Location {
                id: r.get("id"),
                name: r.get("name"),
                lat: r.get("lat"),
                lon: r.get("lon"),
                radius_m: r.get("radius_m"),
            })
            .collect())
    }

    async fn count_employees(&self) -> Result<u64> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM employees").fetch_one(&self.read).await.map_err(db_err)?;
        Ok(n as u64)
    }

    async fn employee_with_locations(&self, id: Id) -> Result<(Employee, Vec<Location>)> {
        // One row per extra location (or one with none).
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {EMPLOYEE_COLS}, l.id AS x_id, l.name AS x_name, l.lat AS x_lat, l.lon AS x_lon,
                    l.radius_m AS x_radius
             FROM employees e JOIN units u ON u.id = e.unit_id
             LEFT JOIN employee_locations el ON el.employee_id = e.id
             LEFT JOIN unit_locations l ON l.id = el.location_id
             WHERE e.id = $1 ORDER BY l.id"
        )))
        .bind(id)
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        let first = rows.first().ok_or(StoreError::NotFound("employee"))?;
        let locations = extra_locations(&rows);
        Ok((employee_row(first), locations))
    }
}

/// The extra locations in rows that join `unit_locations` as `x_*` columns (none when NULL),
/// once each, in id order.
pub(crate) fn extra_locations(rows: &[DbRow]) -> Vec<Location> {
    let mut out: Vec<Location> = rows
        .iter()
        .filter_map(|r| {
            Some(Location {
                id: r.get::<Option<Id>, _>("x_id")?,
                name: r.get("x_name"),
                lat: r.get("x_lat"),
                lon: r.get("x_lon"),
                radius_m: r.get("x_radius"),
            })
        })
        .collect();
    out.sort_by_key(|l| l.id);
    out.dedup_by_key(|l| l.id);
    out
}

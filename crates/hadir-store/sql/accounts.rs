use super::audit::write_audit;
use super::org::{EMPLOYEE_COLS, employee_row, extra_locations};
use super::{DbRow, Store, db_err, ms, not_found, ts};
use async_trait::async_trait;
use hadir_store::*;
use jiff::Timestamp;
use sqlx::{AssertSqlSafe, Row};

fn account_row(r: &DbRow) -> Account {
    account_row_named(r, ["id", "name", "active"])
}

/// An account from a row whose `id`, `name` and `active` columns carry other names (a join
/// that also selects an employee's).
fn account_row_named(r: &DbRow, [id, name, active]: [&str; 3]) -> Account {
    Account {
        id: r.get(id),
        username: r.get("username"),
        password_hash: r.get("password_hash"),
        name: r.get(name),
        employee_id: r.get("employee_id"),
        is_admin: r.get::<bool, _>("is_admin"),
        password_reset: match (
            r.get::<Option<i64>, _>("password_reset_at"),
            r.get::<Option<Id>, _>("password_reset_by"),
        ) {
            (Some(at), Some(by)) => Some(PasswordResetMark {
                at: ts(at),
                by_account_id: by,
                by_name: r.get::<Option<String>, _>("password_reset_by_name").unwrap_or_default(),
            }),
            _ => None,
        },
        active: r.get::<bool, _>(active),
    }
}

const ACCOUNT_SELECT: &str =
    "SELECT a.id, a.username, a.password_hash, a.name, e.id AS employee_id, a.is_admin, a.active,
    a.password_reset_at, a.password_reset_by, a.password_reset_by_name
    FROM accounts a LEFT JOIN employees e ON e.account_id = a.id";

#[async_trait]
impl AccountStore for Store {
    async fn create_admin(&self, username: &str, name: &str, password_hash: &str) -> Result<Account> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let id: Id = sqlx::query_scalar(
            "INSERT INTO accounts (username, password_hash, name, is_admin) VALUES ($1, $2, $3, TRUE) RETURNING id",
        )
        .bind(username)
        .bind(password_hash)
        .bind(name)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match db_err(e) {
            StoreError::Conflict(_) => StoreError::Conflict("username".into()),
            other => other,
        })?;
        let audit = Audit::new((None, "cli"), "create", "admin", username);
        write_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_err)?;
        self.account_by_id(id).await
    }

    async fn account_by_username(&self, username: &str) -> Result<Account> {
        let r = sqlx::query(AssertSqlSafe(format!("{ACCOUNT_SELECT} WHERE a.username = $1")))
            .bind(username)
            .fetch_one(&self.read)
            .await
            .map_err(not_found("account"))?;
        Ok(account_row(&r))
    }

    async fn account_by_id(&self, id: Id) -> Result<Account> {
        let r = sqlx::query(AssertSqlSafe(format!("{ACCOUNT_SELECT} WHERE a.id = $1")))
            .bind(id)
            .fetch_one(&self.read)
            .await
            .map_err(not_found("account"))?;
        Ok(account_row(&r))
    }

    async fn set_password(
        &self,
        account_id: Id,
        password_hash: &str,
        reset: Option<&PasswordResetMark>,
        audit: Audit,
    ) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let n = sqlx::query(
            "UPDATE accounts SET password_hash = $1, password_reset_at = $2, password_reset_by = $3,
                password_reset_by_name = $4 WHERE id = $5",
        )
        .bind(password_hash)
        .bind(reset.map(|m| ms(m.at)))
        .bind(reset.map(|m| m.by_account_id))
        .bind(reset.map(|m| m.by_name.clone()))
        .bind(account_id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound("account"));
        }
        // A new password ends every existing session.
        sqlx::query("DELETE FROM sessions WHERE account_id = $1")
            .bind(account_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        write_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn grant_role(&self, account_id: Id, role: Role, unit_code: &str, audit: Audit) -> Result<RoleGrant> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let unit_id: Id = sqlx::query_scalar("SELECT id FROM units WHERE code = $1")
            .bind(unit_code)
            .fetch_one(&mut *tx)
            .await
            .map_err(not_found("unit"))?;
        sqlx::query("INSERT INTO role_grants (account_id, role, unit_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(account_id)
            .bind(role.as_str())
            .bind(unit_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        write_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_err)?;
        self.roles_of(account_id)
            .await?
            .into_iter()
            .find(|g| g.role == role && g.unit_id == unit_id)
            .ok_or(StoreError::NotFound("role"))
    }

    async fn revoke_role(&self, account_id: Id, role: Role, unit_code: &str, audit: Audit) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let n = sqlx::query(
            "DELETE FROM role_grants WHERE account_id = $1 AND role = $2 AND unit_id = (SELECT id FROM units WHERE code = $3)",
        )
        .bind(account_id)
        .bind(role.as_str())
        .bind(unit_code)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound("role"));
        }
        write_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn roles_of(&self, account_id: Id) -> Result<Vec<RoleGrant>> {
        let rows = sqlx::query(
            "SELECT g.id, g.account_id, g.role, g.unit_id, u.code, u.path FROM role_grants g
             JOIN units u ON u.id = g.unit_id WHERE g.account_id = $1 ORDER BY g.id",
        )
        .bind(account_id)
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                Some(RoleGrant {
                    id: r.get("id"),
                    account_id: r.get("account_id"),
                    role: Role::parse(r.get("role"))?,
                    unit_id: r.get("unit_id"),
                    unit_code: r.get("code"),
                    unit_path: r.get("path"),
                })
            })
            .collect())
    }

    async fn create_session(&self, token_hash: &[u8], account_id: Id, expires_at: Timestamp) -> Result<()> {
        sqlx::query("INSERT INTO sessions (token_hash, account_id, expires_at) VALUES ($1, $2, $3)")
            .bind(token_hash)
            .bind(account_id)
            .bind(ms(expires_at))
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn session(&self, token_hash: &[u8], now: Timestamp) -> Result<Session> {
        let r = sqlx::query(
            "SELECT s.account_id, s.expires_at FROM sessions s JOIN accounts a ON a.id = s.account_id
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND a.active",
        )
        .bind(token_hash)
        .bind(ms(now))
        .fetch_one(&self.read)
        .await
        .map_err(not_found("session"))?;
        Ok(Session { account_id: r.get("account_id"), expires_at: ts(r.get("expires_at")) })
    }

    async fn session_holder(&self, token_hash: &[u8], now: Timestamp) -> Result<SessionHolder> {
        // One row per (grant, extra location) pair, or one with neither: the account and
        // employee columns repeat. The account's id, name and active flag are renamed so the
        // employee's keep the names `employee_row` reads.
        static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let sql = SQL.get_or_init(|| {
            format!(
                "SELECT a.id AS a_id, a.username, a.password_hash, a.name AS a_name, e.id AS employee_id,
                        a.is_admin, a.active AS a_active, a.password_reset_at, a.password_reset_by,
                        a.password_reset_by_name,
                        g.id AS grant_id, g.role, g.unit_id AS g_unit_id, gu.code AS g_code, gu.path AS g_path,
                        {EMPLOYEE_COLS},
                        l.id AS x_id, l.name AS x_name, l.lat AS x_lat, l.lon AS x_lon, l.radius_m AS x_radius
                 FROM sessions s JOIN accounts a ON a.id = s.account_id
                 LEFT JOIN employees e ON e.account_id = a.id LEFT JOIN units u ON u.id = e.unit_id
                 LEFT JOIN role_grants g ON g.account_id = a.id LEFT JOIN units gu ON gu.id = g.unit_id
                 LEFT JOIN employee_locations el ON el.employee_id = e.id
                 LEFT JOIN unit_locations l ON l.id = el.location_id
                 WHERE s.token_hash = $1 AND s.expires_at > $2 AND a.active ORDER BY g.id, l.id"
            )
        });
        let rows = sqlx::query(AssertSqlSafe(std::borrow::Cow::Borrowed(sql.as_str())))
            .bind(token_hash)
            .bind(ms(now))
            .fetch_all(&self.read)
            .await
            .map_err(db_err)?;
        let first = rows.first().ok_or(StoreError::NotFound("session"))?;
        let account = account_row_named(first, ["a_id", "a_name", "a_active"]);
        let mut grants: Vec<RoleGrant> = rows
            .iter()
            .filter_map(|r| {
                Some(RoleGrant {
                    id: r.get::<Option<Id>, _>("grant_id")?,
                    account_id: account.id,
                    role: Role::parse(r.get::<Option<String>, _>("role")?.as_str())?,
                    unit_id: r.get("g_unit_id"),
                    unit_code: r.get("g_code"),
                    unit_path: r.get("g_path"),
                })
            })
            .collect();
        grants.dedup_by_key(|g| g.id);
        let employee = account.employee_id.map(|_| (employee_row(first), extra_locations(&rows)));
        Ok(SessionHolder { account, grants, employee })
    }

    async fn delete_session(&self, token_hash: &[u8]) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn purge_expired_sessions(&self, now: Timestamp) -> Result<u64> {
        let r = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(ms(now))
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(r.rows_affected())
    }
}

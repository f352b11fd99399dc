//! Channel policies (issue 25).

use super::audit::write_audit;
use super::{Store, db_err, ms, ts};
use async_trait::async_trait;
use hadir_domain::channels::Channel;
use hadir_store::{Audit, Category, ChannelPolicyRow, ChannelPolicyStore, NewChannelPolicy, Result, StoreError};
use sqlx::Row;

macro_rules! select {
    () => {
        "SELECT p.id, p.unit_id, u.code AS unit_code, u.path AS unit_path, p.category, p.effective_from,
        p.channels, p.recorded, p.created_at, p.created_by
     FROM channel_policies p LEFT JOIN units u ON u.id = p.unit_id"
    };
}

fn row(r: &super::DbRow) -> Result<ChannelPolicyRow> {
    let from: String = r.get("effective_from");
    let channels: String = r.get("channels");
    Ok(ChannelPolicyRow {
        id: r.get("id"),
        unit_id: r.get("unit_id"),
        unit_code: r.get("unit_code"),
        unit_path: r.get("unit_path"),
        category: r.get::<Option<String>, _>("category").as_deref().and_then(Category::parse),
        effective_from: from.parse().map_err(|_| StoreError::Backend(format!("bad policy date {from:?}")))?,
        channels: channels.split(',').filter_map(Channel::parse).collect(),
        recorded: r.get::<bool, _>("recorded"),
        created_at: ts(r.get("created_at")),
        created_by: r.get("created_by"),
    })
}

#[async_trait]
impl ChannelPolicyStore for Store {
    async fn list_channel_policies(&self) -> Result<Vec<ChannelPolicyRow>> {
        let rows = sqlx::query(concat!(select!(), " ORDER BY p.effective_from, p.id"))
            .fetch_all(&self.read)
            .await
            .map_err(db_err)?;
        rows.iter().map(row).collect()
    }

    async fn add_channel_policy(&self, p: &NewChannelPolicy, audit: Audit) -> Result<ChannelPolicyRow> {
        let channels: Vec<&str> = p.channels.iter().map(Channel::as_str).collect();
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let id: i64 = sqlx::query(
            "INSERT INTO channel_policies (unit_id, category, effective_from, channels, recorded, created_at, created_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(p.unit_id)
        .bind(p.category.map(|c| c.as_str()))
        .bind(p.effective_from.to_string())
        .bind(channels.join(","))
        .bind(p.recorded)
        .bind(ms(jiff::Timestamp::now()))
        .bind(&p.created_by)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?
        .get("id");
        let audit = Audit { entity_id: id.to_string(), ..audit };
        write_audit(&mut tx, &audit).await?;
        let r =
            sqlx::query(concat!(select!(), " WHERE p.id = $1")).bind(id).fetch_one(&mut *tx).await.map_err(db_err)?;
        let out = row(&r)?;
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }
}

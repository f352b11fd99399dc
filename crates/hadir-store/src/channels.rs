//! Channel policies (issue 25): dated rows per unit subtree and employee category.

use crate::{Audit, Category, Id, Result};
use async_trait::async_trait;
use hadir_domain::channels::{Channel, ChannelPolicy};
use jiff::Timestamp;
use jiff::civil::Date;

/// A stored channel policy row, with its unit's code and path.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelPolicyRow {
    pub id: Id,
    pub unit_id: Option<Id>,
    pub unit_code: Option<String>,
    pub unit_path: Option<String>,
    pub category: Option<Category>,
    pub effective_from: Date,
    pub channels: Vec<Channel>,
    pub recorded: bool,
    pub created_at: Timestamp,
    pub created_by: String,
}

impl ChannelPolicyRow {
    /// The pure rule's view of the row.
    pub fn policy(&self) -> ChannelPolicy {
        ChannelPolicy {
            id: self.id,
            unit_path: self.unit_path.clone(),
            category: self.category.map(|c| c.as_str().to_string()),
            effective_from: self.effective_from,
            channels: self.channels.clone(),
            recorded: self.recorded,
        }
    }
}

/// A new row (never an edit: a change is a new row from its date).
#[derive(Debug, Clone, PartialEq)]
pub struct NewChannelPolicy {
    pub unit_id: Option<Id>,
    pub category: Option<Category>,
    pub effective_from: Date,
    pub channels: Vec<Channel>,
    pub recorded: bool,
    pub created_by: String,
}

#[async_trait]
pub trait ChannelPolicyStore: Send + Sync {
    /// Every row, oldest first (the table is small: a few rows per unit at most).
    async fn list_channel_policies(&self) -> Result<Vec<ChannelPolicyRow>>;
    /// Adds a row, with its audit record in the same transaction.
    async fn add_channel_policy(&self, p: &NewChannelPolicy, audit: Audit) -> Result<ChannelPolicyRow>;
}

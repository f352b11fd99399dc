//! Fingerprint and face templates (issue 25): sealed rows per employee and slot, and which
//! terminal holds which version. The store never sees a template in clear: the server seals it
//! before saving and opens it only to write it to a terminal.

use crate::{DeviceCommand, Id, Result};
use async_trait::async_trait;
use jiff::Timestamp;

/// A stored template, still sealed.
#[derive(Clone, PartialEq)]
pub struct SealedTemplate {
    pub id: Id,
    pub employee_id: Id,
    /// `finger`, `face` or `bio:<type>`.
    pub kind: String,
    /// FID / No.
    pub no: i64,
    /// BIODATA Index (0 otherwise).
    pub idx: i64,
    /// Keyed hash of the plaintext: equal digests are the same template.
    pub digest: Vec<u8>,
    pub nonce: Vec<u8>,
    pub sealed: Vec<u8>,
    /// The terminal it last came from.
    pub source_sn: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Never prints the sealed bytes or the digest (logs must not carry templates in any form).
impl std::fmt::Debug for SealedTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedTemplate")
            .field("id", &self.id)
            .field("employee_id", &self.employee_id)
            .field("kind", &self.kind)
            .field("no", &self.no)
            .field("idx", &self.idx)
            .field("source_sn", &self.source_sn)
            .finish_non_exhaustive()
    }
}

/// A template to save in its slot (employee, kind, no, idx).
#[derive(Clone)]
pub struct NewTemplate {
    pub employee_id: Id,
    pub kind: String,
    pub no: i64,
    pub idx: i64,
    pub digest: Vec<u8>,
    pub nonce: Vec<u8>,
    pub sealed: Vec<u8>,
    /// The terminal that uploaded it (it holds this version).
    pub source_sn: String,
}

/// What saving did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateSaved {
    /// A slot that was empty.
    New(Id),
    /// The slot held another template: replaced.
    Changed(Id),
    /// The slot already held this template (same digest): nothing changed.
    Same(Id),
}

impl TemplateSaved {
    pub fn id(&self) -> Id {
        match self {
            Self::New(id) | Self::Changed(id) | Self::Same(id) => *id,
        }
    }
}

/// A terminal holding (or sent) a version of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateCopy {
    pub device_sn: String,
    pub template_id: Id,
    pub digest: Vec<u8>,
    /// The DATA UPDATE that carried it failed on the terminal.
    pub failed: bool,
}

#[async_trait]
pub trait TemplateStore: Send + Sync {
    /// Saves each template in its slot (a different one there is replaced) and records that its
    /// `source_sn` holds this version; one transaction for the batch (one OPERLOG body).
    async fn save_templates(&self, batch: &[NewTemplate]) -> Result<Vec<TemplateSaved>>;
    /// The employee's templates, by kind and slot.
    async fn templates_of(&self, employee_id: Id) -> Result<Vec<SealedTemplate>>;
    /// The templates with these ids that exist.
    async fn templates_by_ids(&self, ids: &[Id]) -> Result<Vec<SealedTemplate>>;
    /// Which terminals hold which of the employee's templates.
    async fn template_copies(&self, employee_id: Id) -> Result<Vec<TemplateCopy>>;
    /// Queues, for the terminal, commands each carrying one template `(template id, digest,
    /// command text)` and records the copies, in one transaction.
    async fn queue_template_commands(&self, sn: &str, items: &[(Id, Vec<u8>, String)]) -> Result<Vec<DeviceCommand>>;
    /// Queues commands removing the employee's templates from the terminal and forgets its
    /// copies of them, in one transaction.
    async fn queue_template_removal(
        &self,
        sn: &str,
        employee_id: Id,
        commands: &[String],
    ) -> Result<Vec<DeviceCommand>>;
    /// Employees with at least one stored template.
    async fn employees_with_templates(&self) -> Result<Vec<Id>>;
    /// Records that the terminal now holds these versions `(template id, digest)` (written by
    /// its relay over port 4370: no command queued).
    async fn record_template_copies(&self, sn: &str, copies: &[(Id, Vec<u8>)]) -> Result<()>;
    /// Forgets the terminal's copies of the employee's templates (its relay removed them).
    async fn forget_template_copies(&self, sn: &str, employee_id: Id) -> Result<()>;
}

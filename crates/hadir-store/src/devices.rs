//! Terminals (fingerprint/face devices), their command queues, and office relays.

use async_trait::async_trait;

/// Terminal registry, device command queue and relays. (Filled in by the terminals work.)
#[async_trait]
pub trait DeviceStore: Send + Sync {}

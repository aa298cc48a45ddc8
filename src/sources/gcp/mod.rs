//! Google Cloud Security Command Center v2. (Scaffolding: the implementation lands with its issue.)

pub mod auth;
pub mod client;
pub mod normalize;

use std::sync::Arc;

use crate::config::{GcpConfig, PollConfig};
use crate::sources::Source;

/// The sources of one config entry.
pub async fn sources(cfg: &GcpConfig, _poll: &PollConfig) -> anyhow::Result<Vec<Arc<dyn Source>>> {
    anyhow::bail!(
        "{}: this source kind is not implemented yet",
        cfg.name.get_ref()
    )
}

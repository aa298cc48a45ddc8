//! GitHub code scanning alerts. (Scaffolding: the implementation lands with its issue.)

use std::sync::Arc;

use crate::config::{GithubConfig, PollConfig};
use crate::sources::Source;

/// The sources of one config entry.
pub async fn sources(
    cfg: &GithubConfig,
    _poll: &PollConfig,
) -> anyhow::Result<Vec<Arc<dyn Source>>> {
    anyhow::bail!(
        "{}: this source kind is not implemented yet",
        cfg.name.get_ref()
    )
}

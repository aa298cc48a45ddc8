//! Microsoft Defender for Cloud (ARM): alerts, assessments, secure score. (Scaffolding: the implementation lands with its issue.)

use std::sync::Arc;

use crate::config::{AzureConfig, PollConfig};
use crate::sources::Source;

/// The sources of one config entry.
pub async fn sources(
    cfg: &AzureConfig,
    _poll: &PollConfig,
) -> anyhow::Result<Vec<Arc<dyn Source>>> {
    anyhow::bail!(
        "{}: this source kind is not implemented yet",
        cfg.name.get_ref()
    )
}

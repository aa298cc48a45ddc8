//! A finding + its control's playbook + the approval policy → a complete proposal: exactly
//! what will run (document and version, every parameter, target account and region, assume
//! role), what it changes, whether it is destructive and how many approvals it needs.
//! The target is where the finding's resource lives, whichever source brought the finding.

use super::automation::Targets;
use super::automation::targets::check_reach;
use super::catalog::{Catalog, RenderInput, render_template};
use super::policy::{Facts, decide};
use super::queue::Proposal;
use crate::config::RemediationConfig;
use crate::model::Finding;

pub fn build(
    finding: &Finding,
    raw: Option<&serde_json::Value>,
    catalog: &Catalog,
    cfg: &RemediationConfig,
) -> Result<Proposal, String> {
    let control = finding.control_id.as_deref().ok_or_else(|| {
        format!(
            "finding {} has no control id, so no playbook applies",
            finding.id
        )
    })?;
    let playbook = catalog
        .get(control)
        .ok_or_else(|| format!("no playbook for control {control}"))?;
    let input = RenderInput {
        finding,
        raw,
        assume_role_template: cfg.assume_role.get_ref(),
    };
    let parameters = playbook
        .render(&input)
        .map_err(|e| format!("{control}: {e}"))?;
    let assume_role = render_template(cfg.assume_role.get_ref(), &input)
        .map_err(|e| format!("assume_role: {e}"))?;
    let resource = finding.primary_resource();
    // Owned copies: the item keeps them, and the policy matches on them.
    let tags: Vec<(String, String)> = resource
        .map(|r| {
            r.tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .unwrap_or_default();
    // The resource's own region where it differs from the finding's.
    let region = resource
        .and_then(|r| r.region.as_deref())
        .filter(|r| !r.is_empty())
        .unwrap_or(finding.region.as_str());
    if finding.account.is_empty() || region.is_empty() {
        return Err(format!(
            "finding {} names no account or region to run in",
            finding.id
        ));
    }
    check_reach(&assume_role, &finding.account)?;
    let req = decide(
        &cfg.policy,
        &Facts {
            severity: finding.severity,
            destructive: playbook.destructive,
            account: &finding.account,
            region,
            control,
            tags: &tags,
        },
    );
    let resource_name = crate::query::short_resource(finding.resource_id()).to_string();
    Ok(Proposal {
        finding_id: finding.id.clone(),
        product_arn: finding.product_arn.to_string(),
        source: finding.source.to_string(),
        account: finding.account.to_string(),
        region: region.to_string(),
        control: control.to_string(),
        severity: finding.severity,
        title: finding.title.to_string(),
        resource_id: finding.resource_id().to_string(),
        document: playbook.document.clone(),
        document_version: playbook.document_version.clone(),
        document_hash: None,
        version_pinned: playbook.document_version.is_some(),
        parameters,
        assume_role,
        destructive: playbook.destructive,
        description: playbook.description.clone(),
        approvals_required: req.approvals,
        confirm_word: req.confirm_word.then_some(resource_name),
        tags,
    })
}

/// Resolves the exact runbook version (the default one unless the playbook pins one) and its
/// content hash in the target account and region, so approvals bind to that content.
pub async fn pin(mut p: Proposal, targets: &Targets) -> Result<Proposal, String> {
    let automation = targets.get(&p.account, &p.region, &p.assume_role).await?;
    let doc = automation
        .describe(&p.document, p.document_version.as_deref())
        .await
        .map_err(|e| {
            format!(
                "cannot resolve runbook {} in {}/{} (needs ssm:DescribeDocument): {e}",
                p.document, p.account, p.region
            )
        })?;
    p.document_version = Some(doc.version);
    p.document_hash = Some(doc.hash);
    Ok(p)
}

/// `build` then `pin`.
pub async fn prepare(
    finding: &Finding,
    raw: Option<&serde_json::Value>,
    catalog: &Catalog,
    cfg: &RemediationConfig,
    targets: &Targets,
) -> Result<Proposal, String> {
    pin(build(finding, raw, catalog, cfg)?, targets).await
}

/// The preview lines shown before proposing (and by `queue propose --dry-run`).
pub fn preview(p: &Proposal) -> Vec<(String, String)> {
    let mut out = vec![
        ("Changes".to_string(), p.description.clone()),
        (
            "Destructive".to_string(),
            if p.destructive {
                "YES".to_string()
            } else {
                "no".to_string()
            },
        ),
        (
            "Target".to_string(),
            format!("account {} region {}", p.account, p.region),
        ),
        (
            "Approvals".to_string(),
            format!(
                "{} (distinct people, not the requester)",
                p.approvals_required
            ),
        ),
        (
            "Runs".to_string(),
            format!(
                "{}{}",
                p.document,
                p.document_version
                    .as_deref()
                    .map(|v| format!(" v{v}"))
                    .unwrap_or_default()
            ),
        ),
        ("Assume role".to_string(), p.assume_role.clone()),
        (
            "Control".to_string(),
            format!("{} ({})", p.control, p.severity.as_str()),
        ),
        ("Resource".to_string(), p.resource_id.clone()),
    ];
    if let Some(w) = &p.confirm_word {
        out.push(("Confirm".to_string(), format!("approvers must type {w:?}")));
    }
    for (k, v) in &p.parameters {
        out.push((format!("  {k}"), v.join(", ")));
    }
    out.push(("Digest".to_string(), p.digest()));
    out
}

/// How many lines of `preview` come first whatever the size: what it changes, whether it is
/// destructive, where it runs and the approvals (the dialogs keep these in view).
pub const VITAL_LINES: usize = 4;

//! A finding + its control's playbook + the approval policy → a complete proposal: exactly
//! what will run (document, every parameter, account, region, assume role), what it changes,
//! whether it is destructive and how many approvals it needs.

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
    let tags = resource.map(|r| r.tags.as_slice()).unwrap_or(&[]);
    let req = decide(
        &cfg.policy,
        &Facts {
            severity: finding.severity,
            destructive: playbook.destructive,
            account: &finding.account,
            region: &finding.region,
            control,
            tags,
        },
    );
    let resource_name = crate::tui::table::short_resource(finding.resource_id()).to_string();
    Ok(Proposal {
        finding_id: finding.id.clone(),
        product_arn: finding.product_arn.to_string(),
        source: finding.source.to_string(),
        account: finding.account.to_string(),
        region: finding.region.to_string(),
        control: control.to_string(),
        severity: finding.severity,
        title: finding.title.to_string(),
        resource_id: finding.resource_id().to_string(),
        document: playbook.document.clone(),
        document_version: playbook.document_version.clone(),
        parameters,
        assume_role,
        destructive: playbook.destructive,
        description: playbook.description.clone(),
        approvals_required: req.approvals,
        confirm_word: req.confirm_word.then_some(resource_name),
    })
}

/// The preview lines shown before proposing (and by `queue propose --dry-run`).
pub fn preview(p: &Proposal) -> Vec<(String, String)> {
    let mut out = vec![
        (
            "Control".to_string(),
            format!("{} ({})", p.control, p.severity.as_str()),
        ),
        ("Resource".to_string(), p.resource_id.clone()),
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
        (
            "In".to_string(),
            format!("account {} region {}", p.account, p.region),
        ),
        ("Assume role".to_string(), p.assume_role.clone()),
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
            "Approvals".to_string(),
            format!("{} (not counting the requester)", p.approvals_required),
        ),
    ];
    if let Some(w) = &p.confirm_word {
        out.push(("Confirm".to_string(), format!("approvers must type {w:?}")));
    }
    for (k, v) in &p.parameters {
        out.push((format!("  {k}"), v.join(", ")));
    }
    out
}

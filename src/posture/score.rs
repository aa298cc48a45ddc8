//! The security score, computed as Security Hub CSPM does: per standard, passed ÷ (passed +
//! failed + unknown) controls, rounded. A control's status comes from its findings, ignoring
//! ARCHIVED and SUPPRESSED ones: any FAILED → failed; else any WARNING/NOT_AVAILABLE →
//! unknown; else (all PASSED) → passed; no findings → no data (excluded). The summary counts
//! each control once across standards. A control failing in any account/region fails.
//! Controls and standards are interned to indices so 100k findings score in milliseconds.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde::Serialize;

use super::standards;
use crate::model::{ComplianceStatus, Finding, RecordState, Severity, Workflow};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Status {
    Passed,
    Failed,
    Unknown,
    NoData,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Passed => "PASSED",
            Status::Failed => "FAILED",
            Status::Unknown => "UNKNOWN",
            Status::NoData => "NO_DATA",
        }
    }
}

/// Which findings of a control were seen (bit flags keep folding cheap).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Seen(u8);

impl Seen {
    const PASS: u8 = 1;
    const FAIL: u8 = 2;
    const UNKNOWN: u8 = 4;

    fn add(&mut self, c: ComplianceStatus) {
        self.0 |= match c {
            ComplianceStatus::Passed => Self::PASS,
            ComplianceStatus::Failed => Self::FAIL,
            ComplianceStatus::Warning | ComplianceStatus::NotAvailable => Self::UNKNOWN,
        };
    }

    fn status(self) -> Status {
        if self.0 & Self::FAIL != 0 {
            Status::Failed
        } else if self.0 & Self::UNKNOWN != 0 {
            Status::Unknown
        } else if self.0 & Self::PASS != 0 {
            Status::Passed
        } else {
            Status::NoData
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub passed: u32,
    pub failed: u32,
    pub unknown: u32,
    pub no_data: u32,
}

impl Counts {
    fn add(&mut self, s: Status) {
        match s {
            Status::Passed => self.passed += 1,
            Status::Failed => self.failed += 1,
            Status::Unknown => self.unknown += 1,
            Status::NoData => self.no_data += 1,
        }
    }

    /// Percent, rounded half up; None when no control has data.
    pub fn score(&self) -> Option<u8> {
        let total = self.passed + self.failed + self.unknown;
        (total > 0).then(|| {
            ((u64::from(self.passed) * 200 + u64::from(total)) / (2 * u64::from(total))) as u8
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControlResult {
    pub control: String,
    pub title: String,
    pub status: Status,
    /// Status if suppressed findings counted (suppressions that hide failures show here).
    pub status_without_suppressions: Status,
    pub severity: Severity,
    pub standards: Vec<String>,
    pub requirements: Vec<String>,
    /// Resources with a failing, unsuppressed finding.
    pub failing_resources: Vec<String>,
    /// Failing findings hidden by a SUPPRESSED workflow.
    pub suppressed: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StandardScore {
    pub key: String,
    pub name: String,
    pub counts: Counts,
    pub score: Option<u8>,
    pub score_without_suppressions: Option<u8>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Posture {
    pub standards: Vec<StandardScore>,
    pub summary: Counts,
    pub summary_score: Option<u8>,
    pub summary_without_suppressions: Option<u8>,
    pub controls: Vec<ControlResult>,
    /// account → standard key → counts (control status within that account).
    pub by_account: BTreeMap<String, BTreeMap<String, Counts>>,
    pub by_region: BTreeMap<String, BTreeMap<String, Counts>>,
}

#[derive(Default)]
struct ControlAcc {
    seen: Seen,
    seen_all: Seen,
    severity: Option<Severity>,
    title: String,
    standards: u64,
    requirements: BTreeSet<String>,
    failing: BTreeSet<String>,
    suppressed: BTreeSet<String>,
}

/// Scores the findings. `only_account` restricts to one account (reports `--account`).
pub fn compute(findings: &[Arc<Finding>], only_account: Option<&str>) -> Posture {
    let mut std_index: HashMap<&str, usize> = HashMap::new();
    let mut std_ids: Vec<&str> = Vec::new();
    let mut controls: HashMap<&str, usize> = HashMap::new();
    let mut acc: Vec<ControlAcc> = Vec::new();
    // (group, control) → seen, for the account and region breakdowns.
    let mut per_account: HashMap<(&str, usize), Seen> = HashMap::new();
    let mut per_region: HashMap<(&str, usize), Seen> = HashMap::new();
    for f in findings {
        let (Some(control), Some(compliance)) = (f.control_id.as_deref(), f.compliance) else {
            continue;
        };
        if f.record_state == RecordState::Archived || only_account.is_some_and(|a| a != &*f.account)
        {
            continue;
        }
        let ci = *controls.entry(control).or_insert_with(|| {
            acc.push(ControlAcc::default());
            acc.len() - 1
        });
        let a = &mut acc[ci];
        a.seen_all.add(compliance);
        for s in &f.standards {
            let si = *std_index.entry(s.as_str()).or_insert_with(|| {
                std_ids.push(s.as_str());
                std_ids.len() - 1
            });
            if si < 64 {
                a.standards |= 1 << si;
            }
        }
        if a.title.is_empty() {
            a.title = f.title.to_string();
        }
        for r in &f.related_requirements {
            if !a.requirements.contains(r.as_str()) {
                a.requirements.insert(r.to_string());
            }
        }
        if f.workflow == Workflow::Suppressed {
            if compliance == ComplianceStatus::Failed {
                a.suppressed.insert(f.resource_id().to_string());
            }
            continue;
        }
        a.seen.add(compliance);
        if compliance == ComplianceStatus::Failed {
            a.failing.insert(f.resource_id().to_string());
            // The control's severity is that of its failing findings.
            a.severity = Some(a.severity.map_or(f.severity, |s| s.max(f.severity)));
        }
        per_account
            .entry((&f.account, ci))
            .or_default()
            .add(compliance);
        per_region
            .entry((&f.region, ci))
            .or_default()
            .add(compliance);
    }
    let keys: Vec<String> = std_ids.iter().map(|s| standards::key(s)).collect();
    let mut posture = Posture::default();
    let mut std_counts = vec![Counts::default(); keys.len()];
    let mut std_counts_all = vec![Counts::default(); keys.len()];
    let mut summary_all = Counts::default();
    let mut names: Vec<(&str, usize)> = controls.iter().map(|(k, v)| (*k, *v)).collect();
    names.sort_unstable();
    for (control, ci) in names {
        let a = &acc[ci];
        let (status, all) = (a.seen.status(), a.seen_all.status());
        posture.summary.add(status);
        summary_all.add(all);
        let mut stds = Vec::new();
        for (si, key) in keys.iter().enumerate() {
            if si < 64 && a.standards & (1 << si) != 0 {
                std_counts[si].add(status);
                std_counts_all[si].add(all);
                stds.push(key.clone());
            }
        }
        posture.controls.push(ControlResult {
            control: control.to_string(),
            title: a.title.clone(),
            status,
            status_without_suppressions: all,
            severity: a.severity.unwrap_or(Severity::Informational),
            standards: stds,
            requirements: a.requirements.iter().cloned().collect(),
            failing_resources: a.failing.iter().cloned().collect(),
            suppressed: a.suppressed.iter().cloned().collect(),
        });
    }
    posture.summary_score = posture.summary.score();
    posture.summary_without_suppressions = summary_all.score();
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by_key(|&i| {
        (
            standards::KNOWN
                .iter()
                .position(|k| k.0 == keys[i])
                .unwrap_or(usize::MAX),
            keys[i].clone(),
        )
    });
    posture.standards = order
        .into_iter()
        .map(|i| StandardScore {
            key: keys[i].clone(),
            name: standards::name(&keys[i]),
            counts: std_counts[i],
            score: std_counts[i].score(),
            score_without_suppressions: std_counts_all[i].score(),
        })
        .collect();
    let breakdown = |groups: HashMap<(&str, usize), Seen>| {
        let mut out: BTreeMap<String, BTreeMap<String, Counts>> = BTreeMap::new();
        for ((group, ci), seen) in groups {
            let status = seen.status();
            let row = out.entry(group.to_string()).or_default();
            row.entry("summary".into()).or_default().add(status);
            for (si, key) in keys.iter().enumerate() {
                if si < 64 && acc[ci].standards & (1 << si) != 0 {
                    row.entry(key.clone()).or_default().add(status);
                }
            }
        }
        out
    };
    posture.by_account = breakdown(per_account);
    posture.by_region = breakdown(per_region);
    posture
}

#[cfg(test)]
mod tests;

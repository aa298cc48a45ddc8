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
use crate::sources::aws_controls::ControlMetadata;

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

/// Small integer ids for strings. Interned text is found by its address first, so the common
/// case hashes a usize instead of the whole string.
#[derive(Default)]
struct Ids<'a> {
    by_ptr: HashMap<(usize, usize), usize>,
    by_str: HashMap<&'a str, usize>,
    names: Vec<&'a str>,
}

impl<'a> Ids<'a> {
    fn id(&mut self, s: &'a str) -> usize {
        let key = (s.as_ptr() as usize, s.len());
        if let Some(&i) = self.by_ptr.get(&key) {
            return i;
        }
        let next = self.names.len();
        let i = *self.by_str.entry(s).or_insert(next);
        if i == next {
            self.names.push(s);
        }
        self.by_ptr.insert(key, i);
        i
    }
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
    compute_with(findings, only_account, None)
}

/// As `compute`, with control metadata from the Security Hub API when it answered: enabled
/// controls without findings count as "no data", disabled controls are left out (as the
/// console does), and titles come from the control definitions.
pub fn compute_with(
    findings: &[Arc<Finding>],
    only_account: Option<&str>,
    meta: Option<&ControlMetadata>,
) -> Posture {
    let mut p = compute_inner(findings, only_account);
    let Some(meta) = meta else { return p };
    let disabled: std::collections::HashSet<&str> = meta
        .controls
        .iter()
        .filter(|c| !c.enabled)
        .map(|c| c.id.as_str())
        .collect();
    p.controls
        .retain(|c| !disabled.contains(c.control.as_str()));
    let known: std::collections::HashSet<String> =
        p.controls.iter().map(|c| c.control.clone()).collect();
    for def in meta.controls.iter().filter(|c| c.enabled) {
        if let Some(c) = p.controls.iter_mut().find(|c| c.control == def.id) {
            c.title = def.title.clone();
            // The API knows which enabled standards include the control.
            for k in def.standards.iter().map(|s| standards::key(s)) {
                if !c.standards.contains(&k) {
                    c.standards.push(k);
                }
            }
        } else if !known.contains(&def.id) {
            p.controls.push(ControlResult {
                control: def.id.clone(),
                title: def.title.clone(),
                status: Status::NoData,
                status_without_suppressions: Status::NoData,
                severity: def.severity.unwrap_or(Severity::Informational),
                standards: def.standards.iter().map(|s| standards::key(s)).collect(),
                requirements: def.related_requirements.clone(),
                failing_resources: Vec::new(),
                suppressed: Vec::new(),
            });
        }
    }
    p.controls.sort_by(|a, b| a.control.cmp(&b.control));
    // Recount from the (now complete) control list; statuses are per control already.
    let mut summary = Counts::default();
    let mut per: BTreeMap<String, (Counts, Counts)> = BTreeMap::new();
    for c in &p.controls {
        summary.add(c.status);
        for k in &c.standards {
            let e = per.entry(k.clone()).or_default();
            e.0.add(c.status);
            e.1.add(c.status_without_suppressions);
        }
    }
    let mut keys: Vec<String> = p.standards.iter().map(|s| s.key.clone()).collect();
    for k in meta.enabled_standards.iter().map(|s| standards::key(s)) {
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys.sort_by_key(|k| {
        (
            standards::KNOWN
                .iter()
                .position(|x| x.0 == k)
                .unwrap_or(usize::MAX),
            k.clone(),
        )
    });
    p.standards = keys
        .into_iter()
        .map(|key| {
            let (c, all) = per.get(&key).copied().unwrap_or_default();
            StandardScore {
                name: standards::name(&key),
                key,
                counts: c,
                score: c.score(),
                score_without_suppressions: all.score(),
            }
        })
        .collect();
    p.summary = summary;
    p.summary_score = summary.score();
    p
}

fn compute_inner(findings: &[Arc<Finding>], only_account: Option<&str>) -> Posture {
    let mut std_ids = Ids::default();
    let mut accounts = Ids::default();
    let mut regions = Ids::default();
    let mut controls: HashMap<&str, usize> = HashMap::new();
    let mut acc: Vec<ControlAcc> = Vec::new();
    // (group, control) → seen, for the account and region breakdowns.
    let mut per_account: HashMap<(usize, usize), Seen> = HashMap::new();
    let mut per_region: HashMap<(usize, usize), Seen> = HashMap::new();
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
            let si = std_ids.id(s.as_str());
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
            .entry((accounts.id(&f.account), ci))
            .or_default()
            .add(compliance);
        per_region
            .entry((regions.id(&f.region), ci))
            .or_default()
            .add(compliance);
    }
    let keys: Vec<String> = std_ids.names.iter().map(|s| standards::key(s)).collect();
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
    let breakdown = |groups: HashMap<(usize, usize), Seen>, names: &Ids| {
        let mut out: BTreeMap<String, BTreeMap<String, Counts>> = BTreeMap::new();
        for ((group, ci), seen) in groups {
            let status = seen.status();
            let row = out.entry(names.names[group].to_string()).or_default();
            row.entry("summary".into()).or_default().add(status);
            for (si, key) in keys.iter().enumerate() {
                if si < 64 && acc[ci].standards & (1 << si) != 0 {
                    row.entry(key.clone()).or_default().add(status);
                }
            }
        }
        out
    };
    posture.by_account = breakdown(per_account, &accounts);
    posture.by_region = breakdown(per_region, &regions);
    posture
}

#[cfg(test)]
mod tests;

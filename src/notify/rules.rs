//! The rules engine: which findings match which rule, and what changed since the last
//! snapshot. Pure and fast (no I/O): a full pass decides most (rule, finding) pairs with one
//! table lookup on the finding's class (severity, workflow, state, compliance, cloud) and
//! keeps matches as bitsets over interned finding ids; an incremental pass looks only at the
//! snapshot's changed and gone findings. The store stays the source of truth: what the engine
//! reports is checked against it when written (see `state::StateOp`), so a process whose
//! memory is behind never sends twice.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::settings::Settings;
use super::state::RuleRecord;
use crate::filter::{ClassTable, class_of};
use crate::hub::Snapshot;
use crate::model::{ComplianceStatus, Finding, RecordState, Workflow};

/// What an evaluation found.
#[derive(Debug, Clone)]
pub enum Change {
    /// Started to match rule `rule` (new, or changed into a match).
    Matched { rule: usize, finding: Arc<Finding> },
    /// No longer matches (not resolved: e.g. the analyst set NOTIFIED).
    Unmatched { rule: usize, id: String },
    /// Resolved or gone: every rule that notified it sends the resolution.
    Resolved {
        id: String,
        finding: Option<Arc<Finding>>,
    },
}

/// A finding that needs no attention any more.
pub fn is_resolved(f: &Finding) -> bool {
    f.record_state == RecordState::Archived
        || matches!(f.workflow, Workflow::Resolved | Workflow::Suppressed)
        || f.compliance == Some(ComplianceStatus::Passed)
}

#[derive(Debug, Clone, Default)]
pub struct BitSet(Vec<u64>);

impl BitSet {
    #[inline]
    pub fn get(&self, i: u32) -> bool {
        self.0
            .get((i / 64) as usize)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    #[inline]
    pub fn set(&mut self, i: u32, on: bool) {
        let w = (i / 64) as usize;
        if w >= self.0.len() {
            if !on {
                return;
            }
            self.0.resize(w + 1, 0);
        }
        if on {
            self.0[w] |= 1 << (i % 64);
        } else {
            self.0[w] &= !(1 << (i % 64));
        }
    }

    pub fn count(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    pub fn ones(&self) -> impl Iterator<Item = u32> + '_ {
        self.0.iter().enumerate().flat_map(|(w, &bits)| {
            (0..64)
                .filter(move |b| bits & (1 << b) != 0)
                .map(move |b| (w * 64 + b) as u32)
        })
    }
}

struct RuleEval {
    table: ClassTable,
    active: bool,
    matched: BitSet,
    /// Notified and not resolved yet.
    open: BitSet,
    baselined: bool,
}

pub struct Engine {
    settings: Arc<Settings>,
    rules: Vec<RuleEval>,
    ids: FxHashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
    /// The latest finding seen per interned id (for resolutions of findings that are gone),
    /// and its class.
    last: Vec<Option<Arc<Finding>>>,
    class: Vec<u16>,
    created: Vec<i64>,
    /// Interned id by the address of the `Arc` in `last`: a full pass recognises a finding it
    /// has evaluated without hashing its id (the address stays valid while `last` holds it).
    by_ptr: FxHashMap<usize, u32>,
    last_version: Option<u64>,
}

impl Engine {
    /// An engine with the stored state of each rule (same order as `settings.rules`; a
    /// missing record is a rule seen for the first time).
    pub fn new(settings: Arc<Settings>, records: &[RuleRecord]) -> Engine {
        let mut e = Engine {
            rules: Vec::new(),
            ids: FxHashMap::default(),
            names: Vec::new(),
            last: Vec::new(),
            class: Vec::new(),
            created: Vec::new(),
            by_ptr: FxHashMap::default(),
            last_version: None,
            settings: settings.clone(),
        };
        for (i, r) in settings.rules.iter().enumerate() {
            let mut eval = RuleEval {
                table: r.filter.class_table(),
                active: r.on_findings(),
                matched: BitSet::default(),
                open: BitSet::default(),
                baselined: r.notify_existing,
            };
            if let Some(rec) = records.get(i) {
                eval.baselined |= rec.baselined_at.is_some();
                for (id, matched, open) in &rec.findings {
                    let n = e.intern(id);
                    eval.matched.set(n, *matched);
                    eval.open.set(n, *open);
                }
            }
            e.rules.push(eval);
        }
        e
    }

    pub fn settings(&self) -> &Arc<Settings> {
        &self.settings
    }

    fn intern(&mut self, id: &str) -> u32 {
        if let Some(&n) = self.ids.get(id) {
            return n;
        }
        let n = self.ids.len() as u32;
        self.ids.insert(id.into(), n);
        self.names.push(id.into());
        self.last.push(None);
        self.class.push(0);
        self.created.push(0);
        n
    }

    /// Keeps `f` as the latest form of interned finding `n`.
    fn remember(&mut self, n: u32, f: &Arc<Finding>) {
        let n_ = n as usize;
        if let Some(old) = self.last[n_].replace(f.clone()) {
            self.by_ptr.remove(&(Arc::as_ptr(&old) as usize));
        }
        self.by_ptr.insert(Arc::as_ptr(f) as usize, n);
        self.class[n_] = class_of(f);
        self.created[n_] = f.created_at;
    }

    /// The latest finding seen with this id.
    pub fn finding(&self, id: &str) -> Option<&Arc<Finding>> {
        self.ids
            .get(id)
            .and_then(|&n| self.last[n as usize].as_ref())
    }

    pub fn is_baselined(&self, rule: usize) -> bool {
        self.rules[rule].baselined
    }

    pub fn set_baselined(&mut self, rule: usize) {
        self.rules[rule].baselined = true;
    }

    /// (matching, notified and open) per rule, from memory.
    pub fn counts(&self) -> Vec<(usize, usize)> {
        self.rules
            .iter()
            .map(|r| (r.matched.count(), r.open.count()))
            .collect()
    }

    /// Whether the next evaluation of `snap` can be incremental (it directly follows the
    /// last one evaluated).
    pub fn follows(&self, snap: &Snapshot) -> bool {
        self.last_version.is_some_and(|v| v + 1 == snap.version)
    }

    /// Evaluates every rule against `snap`: all findings (`full`), or only the changed and
    /// gone ones. Updates the engine's memory as if every change were written.
    pub fn evaluate(&mut self, snap: &Snapshot, now: i64, full: bool) -> Vec<Change> {
        self.last_version = Some(snap.version);
        let mut out = Vec::new();
        if full {
            self.full(snap, now, &mut out);
        } else {
            let list = snap.changed_findings.clone();
            for f in list.iter() {
                self.one(f, now, &mut out);
            }
            for id in snap.gone.iter() {
                self.gone(id, &mut out);
            }
        }
        out
    }

    fn one(&mut self, f: &Arc<Finding>, now: i64, out: &mut Vec<Change>) {
        let n = self.intern(&f.id);
        let seen_open = self.last[n as usize]
            .as_ref()
            .is_some_and(|p| !is_resolved(p));
        self.remember(n, f);
        let class = self.class[n as usize];
        let mut was_open = false;
        for (ri, r) in self.rules.iter_mut().enumerate() {
            if !r.active {
                continue;
            }
            let rule = &self.settings.rules[ri];
            let now_match = r.table.matches(&rule.filter, class, f, now);
            let before = r.matched.get(n);
            was_open |= r.open.get(n);
            if now_match && !before {
                r.matched.set(n, true);
                if r.baselined {
                    r.open.set(n, true);
                }
                out.push(Change::Matched {
                    rule: ri,
                    finding: f.clone(),
                });
            } else if !now_match && before {
                r.matched.set(n, false);
                out.push(Change::Unmatched {
                    rule: ri,
                    id: f.id.clone(),
                });
            }
        }
        // A finding that turned resolved is reported when this process or another one may
        // hold it open; the store knows which rules do.
        if is_resolved(f) && (was_open || seen_open) {
            for r in &mut self.rules {
                r.open.set(n, false);
            }
            out.push(Change::Resolved {
                id: f.id.clone(),
                finding: Some(f.clone()),
            });
        }
    }

    fn gone(&mut self, id: &str, out: &mut Vec<Change>) {
        let Some(&n) = self.ids.get(id) else {
            out.push(Change::Resolved {
                id: id.to_string(),
                finding: None,
            });
            return;
        };
        for (ri, r) in self.rules.iter_mut().enumerate() {
            if r.matched.get(n) {
                r.matched.set(n, false);
                out.push(Change::Unmatched {
                    rule: ri,
                    id: id.to_string(),
                });
            }
            r.open.set(n, false);
        }
        out.push(Change::Resolved {
            id: id.to_string(),
            finding: self.last[n as usize].clone(),
        });
    }

    fn full(&mut self, snap: &Snapshot, now: i64, out: &mut Vec<Change>) {
        let findings = &snap.findings;
        let mut idx = Vec::with_capacity(findings.len());
        // Findings not evaluated in this form yet. Every other one is the very `Arc` the
        // engine last evaluated, so a rule that does not read the clock keeps its answer.
        let mut fresh = Vec::new();
        let mut present = BitSet(vec![0; self.ids.len().div_ceil(64)]);
        for (k, f) in findings.iter().enumerate() {
            let n = match self.by_ptr.get(&(Arc::as_ptr(f) as usize)) {
                Some(&n) => n,
                None => {
                    let n = self.intern(&f.id);
                    self.remember(n, f);
                    fresh.push(k as u32);
                    n
                }
            };
            present.set(n, true);
            idx.push(n);
        }
        let words = self.ids.len().div_ceil(64);
        let mut resolved_open = BitSet::default();
        for (ri, r) in self.rules.iter_mut().enumerate() {
            if !r.active {
                continue;
            }
            let rule = &self.settings.rules[ri];
            let mut now_matched = BitSet(vec![0; words]);
            let (class, created) = (&self.class, &self.created);
            let eval = |k: u32, n: u32| {
                let (c, f) = (class[n as usize], &findings[k as usize]);
                if r.table.ages_only {
                    r.table
                        .matches_by_age(&rule.filter, c, created[n as usize], now)
                } else {
                    r.table.matches(&rule.filter, c, f, now)
                }
            };
            if rule.filter.uses_time() {
                for (k, &n) in idx.iter().enumerate() {
                    if eval(k as u32, n) {
                        now_matched.set(n, true);
                    }
                }
            } else {
                for (w, m) in now_matched.0.iter_mut().enumerate() {
                    *m = r.matched.0.get(w).copied().unwrap_or(0)
                        & present.0.get(w).copied().unwrap_or(0);
                }
                for &k in &fresh {
                    let n = idx[k as usize];
                    now_matched.set(n, eval(k, n));
                }
            }
            for (w, (&new, old)) in now_matched
                .0
                .iter()
                .zip(r.matched.0.iter().chain(std::iter::repeat(&0)))
                .enumerate()
            {
                let diff = new ^ old;
                if diff == 0 {
                    continue;
                }
                for b in 0..64 {
                    if diff & (1 << b) == 0 {
                        continue;
                    }
                    let n = (w * 64 + b) as u32;
                    if new & (1 << b) != 0 {
                        if r.baselined {
                            r.open.set(n, true);
                        }
                        let finding = self.last[n as usize].clone().expect("present finding");
                        out.push(Change::Matched { rule: ri, finding });
                    } else {
                        out.push(Change::Unmatched {
                            rule: ri,
                            id: self.names[n as usize].to_string(),
                        });
                    }
                }
            }
            r.matched = now_matched;
            for n in r.open.ones() {
                let gone = !present.get(n);
                let done = self.last[n as usize]
                    .as_ref()
                    .is_some_and(|f| is_resolved(f));
                if gone || done {
                    resolved_open.set(n, true);
                }
            }
        }
        for n in resolved_open.ones() {
            for r in &mut self.rules {
                r.open.set(n, false);
            }
            let finding = self.last[n as usize].clone();
            let id = self.names[n as usize].to_string();
            let gone = !present.get(n);
            out.push(Change::Resolved {
                id,
                finding: if gone {
                    finding
                } else {
                    finding.filter(|f| is_resolved(f))
                },
            });
        }
    }
}

#[cfg(test)]
mod tests;

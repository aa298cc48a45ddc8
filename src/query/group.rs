//! Group-by: "which control / resource / account has the most open criticals". Groups are
//! built from the filtered, sorted view (so each group's findings keep the sort order) and
//! ordered by count, by severity or by key.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::hub::Listing;

use crate::model::{Finding, Severity};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupBy {
    Control,
    Resource,
    Account,
    Region,
    Product,
    Cloud,
    Title,
    Severity,
}

impl GroupBy {
    pub const ALL: [GroupBy; 8] = [
        GroupBy::Control,
        GroupBy::Resource,
        GroupBy::Account,
        GroupBy::Region,
        GroupBy::Product,
        GroupBy::Cloud,
        GroupBy::Title,
        GroupBy::Severity,
    ];

    pub fn name(self) -> &'static str {
        match self {
            GroupBy::Control => "control",
            GroupBy::Resource => "resource",
            GroupBy::Account => "account",
            GroupBy::Region => "region",
            GroupBy::Product => "product",
            GroupBy::Cloud => "cloud",
            GroupBy::Title => "title",
            GroupBy::Severity => "severity",
        }
    }

    pub fn parse(s: &str) -> Option<GroupBy> {
        let s = s.trim().to_ascii_lowercase();
        GroupBy::ALL.into_iter().find(|g| {
            g.name() == s
                || matches!(
                    (g, s.as_str()),
                    (GroupBy::Account, "acct")
                        | (GroupBy::Resource, "res")
                        | (GroupBy::Severity, "sev")
                )
        })
    }

    /// The group a finding falls in.
    pub fn key(self, f: &Finding) -> &str {
        match self {
            GroupBy::Control => f.control_id.as_deref().unwrap_or("(no control)"),
            GroupBy::Resource => match f.resource_id() {
                "" => "(no resource)",
                r => r,
            },
            GroupBy::Account => &f.account,
            GroupBy::Region => &f.region,
            GroupBy::Product => &f.product_name,
            GroupBy::Cloud => f.cloud.as_str(),
            GroupBy::Title => &f.title,
            GroupBy::Severity => f.severity.as_str(),
        }
    }

    /// The filter term that selects one group (Enter on a group filters to it).
    pub fn filter_term(self, key: &str) -> String {
        let field = match self {
            GroupBy::Control => "control",
            GroupBy::Resource => "res",
            GroupBy::Account => "acct",
            GroupBy::Region => "region",
            GroupBy::Product => "product",
            GroupBy::Cloud => "cloud",
            GroupBy::Title => "title",
            GroupBy::Severity => "sev",
        };
        let quoted = if key
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '"' | ',' | '\\'))
        {
            format!("\"{}\"", key.replace('\\', "\\\\").replace('"', "\\\""))
        } else {
            key.to_string()
        };
        format!("{field}:{quoted}")
    }
}

/// How groups are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupOrder {
    /// Most findings first.
    #[default]
    Count,
    /// Most criticals first, then highs, … (ties: count).
    Severity,
    /// By the group's key, A→Z.
    Key,
}

impl GroupOrder {
    pub const ALL: [GroupOrder; 3] = [GroupOrder::Count, GroupOrder::Severity, GroupOrder::Key];

    pub fn name(self) -> &'static str {
        match self {
            GroupOrder::Count => "count",
            GroupOrder::Severity => "severity",
            GroupOrder::Key => "key",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Group {
    pub key: Arc<str>,
    /// Findings per severity, indexed by `Severity as usize`.
    pub by_severity: [u32; 5],
    /// This group's slice of `Grouped::rows`.
    start: u32,
    len: u32,
}

impl Group {
    pub fn total(&self) -> usize {
        self.len as usize
    }

    pub fn count(&self, s: Severity) -> u32 {
        self.by_severity[s as usize]
    }
}

/// The groups of a view, in order, and their findings in one flat list (one allocation for
/// 100k one-finding groups instead of 100k).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Grouped {
    groups: Vec<Group>,
    rows: Vec<u32>,
}

impl Grouped {
    /// Indices into the findings of group `g`, in the view's order.
    pub fn rows(&self, g: &Group) -> &[u32] {
        &self.rows[g.start as usize..(g.start + g.len) as usize]
    }
}

impl std::ops::Deref for Grouped {
    type Target = [Group];

    fn deref(&self) -> &[Group] {
        &self.groups
    }
}

/// Every finding's group under one `GroupBy`, interned once per snapshot: regrouping on a
/// keystroke then reads two small integers per row instead of following each finding's
/// pointers and hashing its strings (the difference between ~30 ms and ~2 ms at 100k).
#[derive(Debug, Clone)]
pub struct GroupKeys {
    pub by: GroupBy,
    /// Key id per finding index.
    of: Vec<u32>,
    /// Severity per finding index.
    severity: Vec<u8>,
    /// Key text per key id.
    keys: Vec<Arc<str>>,
    /// Position of each key id in A→Z order (the tie-break, compared as an integer).
    rank: Vec<u32>,
}

impl GroupKeys {
    pub fn new<L: Listing + Sync + ?Sized>(findings: &L, by: GroupBy) -> GroupKeys {
        Self::new_in(findings, by, super::sort::cores_for(findings.count()))
    }

    /// Keys interned in `parts` slices side by side (each finding is a memory read), then
    /// merged in order.
    fn new_in<L: Listing + Sync + ?Sized>(findings: &L, by: GroupBy, parts: usize) -> GroupKeys {
        let n = findings.count();
        // One slice: its own keys, a local key id and the severity per finding.
        let slice = |range: std::ops::Range<usize>| {
            let mut index: FxHashMap<&str, u32> = FxHashMap::default();
            let mut texts: Vec<&str> = Vec::new();
            let (mut of, mut severity) = (Vec::with_capacity(range.len()), Vec::new());
            for f in range.map(|i| findings.at(i)) {
                let k = by.key(f);
                let id = *index.entry(k).or_insert_with(|| {
                    texts.push(k);
                    texts.len() as u32 - 1
                });
                of.push(id);
                severity.push(f.severity as u8);
            }
            (texts, of, severity)
        };
        let slices = super::sort::in_parts(n, parts, slice);
        let mut index: FxHashMap<&str, u32> = FxHashMap::default();
        let mut texts: Vec<&str> = Vec::new();
        let mut of = Vec::with_capacity(n);
        let mut severity = Vec::with_capacity(n);
        for (local, ids, sev) in slices {
            let remap: Vec<u32> = local
                .iter()
                .map(|k| {
                    *index.entry(k).or_insert_with(|| {
                        texts.push(k);
                        texts.len() as u32 - 1
                    })
                })
                .collect();
            of.extend(ids.iter().map(|&l| remap[l as usize]));
            severity.extend(sev);
        }
        let mut order: Vec<u32> = (0..texts.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| texts[a as usize].cmp(texts[b as usize]));
        let mut rank = vec![0; texts.len()];
        for (r, &id) in order.iter().enumerate() {
            rank[id as usize] = r as u32;
        }
        GroupKeys {
            by,
            of,
            severity,
            keys: texts.into_iter().map(Arc::from).collect(),
            rank,
        }
    }

    /// Number of findings these keys were built from.
    pub fn len(&self) -> usize {
        self.of.len()
    }

    pub fn is_empty(&self) -> bool {
        self.of.is_empty()
    }
}

/// Groups `view` (filtered, sorted indices into `findings`) by `by`, ordered by `order`
/// (`reverse` flips it). Each group keeps the view's order inside.
pub fn group<L: Listing + Sync + ?Sized>(
    findings: &L,
    view: &[u32],
    by: GroupBy,
    order: GroupOrder,
    reverse: bool,
) -> Grouped {
    group_keyed(&GroupKeys::new(findings, by), view, order, reverse)
}

/// `group` with the keys already interned (`keys` built from the findings `view` indexes).
pub fn group_keyed(keys: &GroupKeys, view: &[u32], order: GroupOrder, reverse: bool) -> Grouped {
    // A slot per key seen, with its counts.
    let mut slot = vec![u32::MAX; keys.keys.len()];
    let mut ids: Vec<u32> = Vec::new();
    let mut counts: Vec<[u32; 5]> = Vec::new();
    for &i in view {
        let k = keys.of[i as usize];
        let s = &mut slot[k as usize];
        if *s == u32::MAX {
            *s = ids.len() as u32;
            ids.push(k);
            counts.push([0; 5]);
        }
        counts[*s as usize][keys.severity[i as usize] as usize] += 1;
    }
    // Integer sort keys: (primary, secondary, key rank); ranks are distinct, so the order is
    // total and `reverse` is its exact mirror.
    let severity_rank = |c: &[u32; 5]| {
        let mut r = *c;
        r.reverse(); // critical first
        r.map(|n| u32::MAX - n)
    };
    let mut keyed: Vec<(u64, [u32; 5], u64, u32, u32)> = ids
        .iter()
        .zip(&counts)
        .enumerate()
        .map(|(s, (&k, c))| {
            let most = u64::MAX - c.iter().map(|&n| u64::from(n)).sum::<u64>();
            let (rank, s) = (keys.rank[k as usize], s as u32);
            match order {
                GroupOrder::Count => (most, severity_rank(c), 0, rank, s),
                GroupOrder::Severity => (0, severity_rank(c), most, rank, s),
                GroupOrder::Key => (0, [0; 5], 0, rank, s),
            }
        })
        .collect();
    keyed.sort_unstable();
    if reverse {
        keyed.reverse();
    }
    // Groups in order with their slices; then each row scattered into its group's slice.
    let mut cursor = vec![0u32; ids.len()];
    let mut start = 0u32;
    let groups: Vec<Group> = keyed
        .iter()
        .map(|k| {
            let s = k.4 as usize;
            let c = counts[s];
            let len: u32 = c.iter().sum();
            cursor[s] = start;
            let g = Group {
                key: keys.keys[ids[s] as usize].clone(),
                by_severity: c,
                start,
                len,
            };
            start += len;
            g
        })
        .collect();
    let mut rows = vec![0u32; view.len()];
    for &i in view {
        let s = slot[keys.of[i as usize] as usize] as usize;
        rows[cursor[s] as usize] = i;
        cursor[s] += 1;
    }
    Grouped { groups, rows }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::memory::sample_finding;

    fn set() -> Vec<Arc<Finding>> {
        (0..30)
            .map(|i| {
                let mut f = sample_finding(i, 1000 + i as i64);
                f.control_id = Some(["EC2.19", "S3.8", "IAM.7"][i % 3].into());
                if i % 3 == 2 {
                    f.control_id = Some(if i < 9 { "IAM.7" } else { "KMS.4" }.into());
                }
                f.severity = if i % 3 == 0 {
                    Severity::Low
                } else {
                    Severity::Critical
                };
                Arc::new(f)
            })
            .collect()
    }

    #[test]
    fn counts_order_and_keys() {
        let f = set();
        let view: Vec<u32> = (0..30).collect();
        let g = group(&f, &view, GroupBy::Control, GroupOrder::Count, false);
        let keys: Vec<(&str, usize)> = g.iter().map(|g| (&*g.key, g.total())).collect();
        // Equal counts: the one with more criticals first.
        assert_eq!(
            keys,
            vec![("S3.8", 10), ("EC2.19", 10), ("KMS.4", 7), ("IAM.7", 3)]
        );
        assert_eq!(
            g[0].count(Severity::Critical),
            10,
            "S3.8 findings are all critical"
        );
        assert_eq!(g[1].count(Severity::Low), 10);
        // By severity: most criticals first.
        let s = group(&f, &view, GroupBy::Control, GroupOrder::Severity, false);
        assert_eq!(&*s[0].key, "S3.8");
        assert_eq!(&*s.last().unwrap().key, "EC2.19", "no criticals");
        let k = group(&f, &view, GroupBy::Control, GroupOrder::Key, true);
        assert_eq!(&*k[0].key, "S3.8");
        // The view's order is kept inside a group.
        let rev: Vec<u32> = (0..30).rev().collect();
        let r = group(&f, &rev, GroupBy::Control, GroupOrder::Count, false);
        assert!(r.rows(&r[0]).windows(2).all(|w| w[0] > w[1]));
    }

    #[test]
    fn names_filters_and_empty_keys() {
        assert_eq!(GroupBy::parse("ACCT"), Some(GroupBy::Account));
        assert_eq!(GroupBy::parse("nope"), None);
        assert_eq!(GroupBy::Control.filter_term("S3.8"), "control:S3.8");
        assert_eq!(
            GroupBy::Title.filter_term("Open \"SG\" x"),
            "title:\"Open \\\"SG\\\" x\""
        );
        let mut f = sample_finding(1, 1);
        f.control_id = None;
        f.resources.clear();
        assert_eq!(GroupBy::Control.key(&f), "(no control)");
        assert_eq!(GroupBy::Resource.key(&f), "(no resource)");
        // The filter term selects exactly the group.
        let all = set();
        let view: Vec<u32> = (0..30).collect();
        for g in group(&all, &view, GroupBy::Control, GroupOrder::Count, false).iter() {
            let flt = crate::filter::Filter::parse(&GroupBy::Control.filter_term(&g.key)).unwrap();
            let n = all.iter().filter(|x| flt.matches(x, 0)).count();
            assert_eq!(n, g.total(), "{}", g.key);
        }
    }

    #[test]
    fn keys_interned_in_slices_match_one_pass() {
        let f = set();
        let one = GroupKeys::new_in(&f, GroupBy::Control, 1);
        let three = GroupKeys::new_in(&f, GroupBy::Control, 3);
        let all: Vec<u32> = (0..30).collect();
        let a = group_keyed(&one, &all, GroupOrder::Count, false);
        let b = group_keyed(&three, &all, GroupOrder::Count, false);
        let rows = |g: &Grouped| -> Vec<(String, Vec<u32>)> {
            g.iter()
                .map(|x| (x.key.to_string(), g.rows(x).to_vec()))
                .collect()
        };
        assert_eq!(rows(&a), rows(&b));
        assert_eq!(one.rank, three.rank);
    }

    #[test]
    fn keys_built_once_serve_every_view() {
        let f = set();
        let keys = GroupKeys::new(&f, GroupBy::Control);
        assert_eq!(keys.len(), 30);
        // A narrower view: only its rows are counted, and groups it does not touch vanish.
        let view: Vec<u32> = (0..30).filter(|i| i % 3 == 0).collect();
        let g = group_keyed(&keys, &view, GroupOrder::Count, false);
        assert_eq!(g.len(), 1);
        assert_eq!((&*g[0].key, g[0].total()), ("EC2.19", 10));
        // Reverse is the exact mirror, ties (equal counts) included.
        let all: Vec<u32> = (0..30).collect();
        let fwd = group_keyed(&keys, &all, GroupOrder::Severity, false);
        let back = group_keyed(&keys, &all, GroupOrder::Severity, true);
        let mirror: Vec<(&str, &[u32])> =
            back.iter().rev().map(|g| (&*g.key, back.rows(g))).collect();
        let fwd: Vec<(&str, &[u32])> = fwd.iter().map(|g| (&*g.key, fwd.rows(g))).collect();
        assert_eq!(fwd, mirror);
        // Every row of the view lands in exactly one group.
        let mut seen: Vec<u32> = back.iter().flat_map(|g| back.rows(g).to_vec()).collect();
        seen.sort_unstable();
        assert_eq!(seen, all);
        let k = group_keyed(&keys, &all, GroupOrder::Key, false);
        let names: Vec<&str> = k.iter().map(|g| &*g.key).collect();
        assert_eq!(names, ["EC2.19", "IAM.7", "KMS.4", "S3.8"]);
    }
}

//! Group-by: "which control / resource / account has the most open criticals". Groups are
//! built from the filtered, sorted view (so each group's findings keep the sort order) and
//! ordered by count, by severity or by key.

use std::collections::HashMap;
use std::sync::Arc;

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub key: String,
    /// Findings per severity, indexed by `Severity as usize`.
    pub by_severity: [u32; 5],
    /// Indices into the findings, in the view's order.
    pub rows: Vec<u32>,
}

impl Group {
    pub fn total(&self) -> usize {
        self.rows.len()
    }

    pub fn count(&self, s: Severity) -> u32 {
        self.by_severity[s as usize]
    }
}

/// Groups `view` (filtered, sorted indices into `findings`) by `by`, ordered by `order`
/// (`reverse` flips it). Each group keeps the view's order inside.
pub fn group(
    findings: &[Arc<Finding>],
    view: &[u32],
    by: GroupBy,
    order: GroupOrder,
    reverse: bool,
) -> Vec<Group> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut groups: Vec<Group> = Vec::new();
    for &i in view {
        let f = &findings[i as usize];
        let k = by.key(f);
        let g = *index.entry(k).or_insert_with(|| {
            groups.push(Group {
                key: k.to_string(),
                by_severity: [0; 5],
                rows: Vec::new(),
            });
            groups.len() - 1
        });
        let g = &mut groups[g];
        g.by_severity[f.severity as usize] += 1;
        g.rows.push(i);
    }
    let severity_rank = |g: &Group| {
        let mut r = g.by_severity;
        r.reverse(); // critical first
        r
    };
    groups.sort_by(|a, b| {
        let o = match order {
            GroupOrder::Count => b
                .total()
                .cmp(&a.total())
                .then_with(|| severity_rank(b).cmp(&severity_rank(a))),
            GroupOrder::Severity => severity_rank(b)
                .cmp(&severity_rank(a))
                .then_with(|| b.total().cmp(&a.total())),
            GroupOrder::Key => a.key.cmp(&b.key),
        };
        let o = o.then_with(|| a.key.cmp(&b.key));
        if reverse { o.reverse() } else { o }
    });
    groups
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
        let keys: Vec<(&str, usize)> = g.iter().map(|g| (g.key.as_str(), g.total())).collect();
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
        assert_eq!(s[0].key, "S3.8");
        assert_eq!(s.last().unwrap().key, "EC2.19", "no criticals");
        let k = group(&f, &view, GroupBy::Control, GroupOrder::Key, true);
        assert_eq!(k[0].key, "S3.8");
        // The view's order is kept inside a group.
        let rev: Vec<u32> = (0..30).rev().collect();
        let r = group(&f, &rev, GroupBy::Control, GroupOrder::Count, false);
        assert!(r[0].rows.windows(2).all(|w| w[0] > w[1]));
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
        for g in group(&all, &view, GroupBy::Control, GroupOrder::Count, false) {
            let flt = crate::filter::Filter::parse(&GroupBy::Control.filter_term(&g.key)).unwrap();
            let n = all.iter().filter(|x| flt.matches(x, 0)).count();
            assert_eq!(n, g.total(), "{}", g.key);
        }
    }
}

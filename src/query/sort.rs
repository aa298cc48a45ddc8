//! Which findings are shown and in which order: shared by the console and the headless
//! commands. Filtering and sorting work on indices into the snapshot; cell text is only
//! built for the rows someone looks at.

use crate::hub::Listing;
use std::cmp::Ordering;

use crate::filter::Filter;
use crate::model::{ComplianceStatus, Finding, RecordState, Workflow, format_age};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Cloud,
    Severity,
    Account,
    Region,
    Product,
    Control,
    Resource,
    Title,
    Age,
    Workflow,
}

impl Column {
    pub const ALL: [Column; 10] = [
        Column::Cloud,
        Column::Severity,
        Column::Account,
        Column::Region,
        Column::Product,
        Column::Control,
        Column::Resource,
        Column::Title,
        Column::Age,
        Column::Workflow,
    ];

    pub fn header(self) -> &'static str {
        match self {
            Column::Cloud => "CLOUD",
            Column::Severity => "SEV",
            Column::Account => "ACCOUNT",
            Column::Region => "REGION",
            Column::Product => "PRODUCT",
            Column::Control => "CONTROL",
            Column::Resource => "RESOURCE",
            Column::Title => "TITLE",
            Column::Age => "AGE",
            Column::Workflow => "STATUS",
        }
    }

    pub fn parse(s: &str) -> Option<Column> {
        let s = s.to_ascii_lowercase();
        Column::ALL.into_iter().find(|c| {
            c.header().eq_ignore_ascii_case(&s)
                || matches!(
                    (c, s.as_str()),
                    (Column::Severity, "severity")
                        | (Column::Workflow, "workflow" | "wf")
                        | (Column::Account, "acct")
                )
        })
    }

    /// The direction a first sort by this column takes: most severe first, newest first,
    /// the rest A→Z.
    pub fn first_descending(self) -> bool {
        matches!(self, Column::Severity)
    }

    /// Cell text (unsanitised; the view sanitises and fits it).
    pub fn text<'a>(self, f: &'a Finding, now: i64) -> std::borrow::Cow<'a, str> {
        use std::borrow::Cow::{Borrowed, Owned};
        match self {
            Column::Cloud => Borrowed(f.cloud.short()),
            Column::Severity => Borrowed(f.severity.short()),
            // The name people use, when known (the id is in the detail).
            Column::Account => Borrowed(f.account_name.as_deref().unwrap_or(&f.account)),
            Column::Region => Borrowed(&f.region),
            Column::Product => Borrowed(&f.product_name),
            Column::Control => Borrowed(f.control_id.as_deref().unwrap_or("-")),
            Column::Resource => Borrowed(short_resource(f.resource_id())),
            Column::Title => Borrowed(&f.title),
            Column::Age => Owned(format_age(now, f.created_at)),
            Column::Workflow => Borrowed(f.workflow.as_str()),
        }
    }

    fn compare(self, a: &Finding, b: &Finding) -> Ordering {
        match self {
            Column::Cloud => a.cloud.cmp(&b.cloud),
            Column::Severity => a.severity.cmp(&b.severity),
            Column::Account => a
                .account_name
                .as_deref()
                .unwrap_or(&a.account)
                .cmp(b.account_name.as_deref().unwrap_or(&b.account)),
            Column::Region => a.region.cmp(&b.region),
            Column::Product => a.product_name.cmp(&b.product_name),
            Column::Control => a.control_id.cmp(&b.control_id),
            Column::Resource => a.resource_id().cmp(b.resource_id()),
            Column::Title => a.title.cmp(&b.title),
            // Newest first reads as "smallest age first".
            Column::Age => b.created_at.cmp(&a.created_at),
            Column::Workflow => a.workflow.cmp(&b.workflow),
        }
    }
}

/// The last path segment of an ARN, an Azure resource id (`/subscriptions/…/vm1`) or a
/// GCP resource name (`//storage.googleapis.com/bucket`) is what an analyst recognises.
pub fn short_resource(id: &str) -> &str {
    let tail = if id.starts_with("arn:") {
        id.rsplit(':').next().unwrap_or(id)
    } else if id.starts_with('/') {
        id
    } else {
        return id;
    };
    tail.rsplit('/').find(|s| !s.is_empty()).unwrap_or(tail)
}

/// Which findings a view starts from, before the filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// What needs attention (the console's default, as the Security Hub console hides the
    /// rest): active, workflow NEW or NOTIFIED, compliance not PASSED.
    #[default]
    Working,
    /// Every active finding (resolved, suppressed and passed ones too).
    Active,
    /// Everything, archived included.
    All,
}

impl Scope {
    pub fn includes(self, f: &Finding) -> bool {
        match self {
            Scope::All => true,
            Scope::Active => f.record_state == RecordState::Active,
            Scope::Working => {
                f.record_state == RecordState::Active
                    && matches!(f.workflow, Workflow::New | Workflow::Notified)
                    && f.compliance != Some(ComplianceStatus::Passed)
            }
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Scope::Working => "working",
            Scope::Active => "active",
            Scope::All => "all",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub column: Column,
    pub descending: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Sort {
            column: Column::Severity,
            descending: true,
        }
    }
}

/// Maps i64 onto u64 keeping the order (flip the sign bit).
fn ordered(x: i64) -> u64 {
    (x as u64) ^ (1 << 63)
}

/// An integer that orders like the column (strings by their first eight bytes), so most
/// comparisons during a sort touch no finding memory.
fn sort_key(c: Column, f: &Finding) -> u64 {
    fn prefix(s: &str) -> u64 {
        let mut b = [0u8; 8];
        let n = s.len().min(8);
        b[..n].copy_from_slice(&s.as_bytes()[..n]);
        u64::from_be_bytes(b)
    }
    match c {
        Column::Cloud => f.cloud as u64,
        Column::Severity => f.severity as u64,
        Column::Workflow => f.workflow as u64,
        // Newest first reads as "smallest age first".
        Column::Age => u64::MAX - ordered(f.created_at),
        Column::Account => prefix(f.account_name.as_deref().unwrap_or(&f.account)),
        Column::Region => prefix(&f.region),
        Column::Product => prefix(&f.product_name),
        // `None` sorts first, as `Option`'s order does.
        Column::Control => f.control_id.as_deref().map_or(0, |c| prefix(c).max(1)),
        Column::Resource => prefix(f.resource_id()),
        Column::Title => prefix(&f.title),
    }
}

/// The last eight bytes of an id: where ARN-style ids differ, so ties between findings
/// resolve without reading the whole (long, common-prefixed) id.
pub fn id_key(id: &str) -> u64 {
    let b = id.as_bytes();
    let tail = &b[b.len().saturating_sub(8)..];
    let mut k = [0u8; 8];
    k[8 - tail.len()..].copy_from_slice(tail);
    u64::from_be_bytes(k)
}

/// From this many findings on, `compute` filters on every core.
const PARALLEL_OVER: usize = 200_000;

/// Indices of the findings that pass the filter, in sort order. Ties break on severity (most
/// severe first), then newest update, then the id (its tail first), so the order is stable
/// between snapshots and equal rows never come out mixed.
pub fn compute<L: Listing + Sync + ?Sized>(
    findings: &L,
    filter: &Filter,
    sort: Sort,
    scope: Scope,
    now: i64,
) -> Vec<u32> {
    // Filtering a big list waits on memory (a finding per row): split over the cores.
    compute_in(
        findings,
        filter,
        sort,
        scope,
        now,
        cores_for(findings.count()),
    )
}

/// The rows of `base` (indices into `findings`) that pass `filter`, in `base`'s order: a
/// narrower filter re-filters what is shown instead of every finding.
pub fn narrow<L: Listing + Sync + ?Sized>(
    findings: &L,
    base: &[u32],
    filter: &Filter,
    now: i64,
) -> Vec<u32> {
    narrow_in(findings, base, filter, now, cores_for(base.len()))
}

fn narrow_in<L: Listing + Sync + ?Sized>(
    findings: &L,
    base: &[u32],
    filter: &Filter,
    now: i64,
    parts: usize,
) -> Vec<u32> {
    let keep = |rows: &[u32]| -> Vec<u32> {
        rows.iter()
            .copied()
            .filter(|&i| filter.matches(findings.at(i as usize), now))
            .collect()
    };
    in_parts(base.len(), parts, |r| keep(&base[r]))
        .into_iter()
        .flatten()
        .collect()
}

/// `f` over `parts` consecutive slices of `0..n`, side by side on scoped threads, the
/// results in slice order (one slice, on this thread, when `parts` is 1).
pub(super) fn in_parts<T: Send>(
    n: usize,
    parts: usize,
    f: impl Fn(std::ops::Range<usize>) -> T + Sync,
) -> Vec<T> {
    if parts <= 1 || n == 0 {
        return vec![f(0..n)];
    }
    let step = n.div_ceil(parts);
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n.div_ceil(step))
            .map(|p| s.spawn(move || f(p * step..((p + 1) * step).min(n))))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("query thread"))
            .collect()
    })
}

/// Threads for a pass over `n` findings (memory-bound: one per core above a size).
pub(super) fn cores_for(n: usize) -> usize {
    if n >= PARALLEL_OVER {
        std::thread::available_parallelism().map_or(1, |p| p.get().min(4))
    } else {
        1
    }
}

fn compute_in<L: Listing + Sync + ?Sized>(
    findings: &L,
    filter: &Filter,
    sort: Sort,
    scope: Scope,
    now: i64,
    parts: usize,
) -> Vec<u32> {
    // (primary key, severity, newest-first key, id tail, index): sorted as integers; the
    // full comparison only runs when the primary key ties.
    let key_of = |range: std::ops::Range<usize>| -> Vec<(u64, u8, u64, u64, u32)> {
        range
            .map(|i| (i, findings.at(i)))
            .filter(|(_, f)| scope.includes(f) && filter.matches(f, now))
            .map(|(i, f)| {
                let k = sort_key(sort.column, f);
                let k = if sort.descending { u64::MAX - k } else { k };
                (
                    k,
                    u8::MAX - f.severity as u8,
                    u64::MAX - ordered(f.updated_at),
                    id_key(&f.id),
                    i as u32,
                )
            })
            .collect()
    };
    let mut keyed: Vec<_> = in_parts(findings.count(), parts, key_of)
        .into_iter()
        .flatten()
        .collect();
    let exact = matches!(
        sort.column,
        Column::Severity | Column::Workflow | Column::Age | Column::Cloud
    );
    let find = |i: u32| findings.at(i as usize);
    keyed.sort_unstable_by(|a, b| {
        let full = || {
            let o = sort.column.compare(find(a.4), find(b.4));
            if sort.descending { o.reverse() } else { o }
        };
        a.0.cmp(&b.0)
            .then_with(|| {
                if exact {
                    std::cmp::Ordering::Equal
                } else {
                    full()
                }
            })
            .then_with(|| a.1.cmp(&b.1))
            .then_with(|| a.2.cmp(&b.2))
            .then_with(|| a.3.cmp(&b.3))
            .then_with(|| find(a.4).id.cmp(&find(b.4).id))
    });
    keyed.into_iter().map(|k| k.4).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Severity, Workflow};
    use crate::sources::memory::sample_finding;
    use std::sync::Arc;

    fn set(n: usize) -> Vec<Arc<Finding>> {
        (0..n)
            .map(|i| Arc::new(sample_finding(i, 1_000_000 + i as i64)))
            .collect()
    }

    #[test]
    fn sorts_by_severity_then_newest() {
        let f = set(10);
        let idx = compute(&f, &Filter::default(), Sort::default(), Scope::Active, 0);
        let sev: Vec<Severity> = idx.iter().map(|&i| f[i as usize].severity).collect();
        assert!(sev.windows(2).all(|w| w[0] >= w[1]), "{sev:?}");
        let crit: Vec<i64> = idx
            .iter()
            .map(|&i| &f[i as usize])
            .filter(|x| x.severity == Severity::Critical)
            .map(|x| x.updated_at)
            .collect();
        assert!(crit.windows(2).all(|w| w[0] > w[1]));
        let asc = compute(
            &f,
            &Filter::default(),
            Sort {
                column: Column::Title,
                descending: false,
            },
            Scope::All,
            0,
        );
        let titles: Vec<&str> = asc.iter().map(|&i| f[i as usize].title.as_str()).collect();
        assert!(titles.windows(2).all(|w| w[0] <= w[1]));
    }

    /// The integer-key sort must order exactly like the plain comparator.
    #[test]
    fn keyed_sort_matches_the_comparator() {
        let mut f: Vec<Finding> = (0..300)
            .map(|i| sample_finding(i, 1_000 + (i % 7) as i64))
            .collect();
        for (i, x) in f.iter_mut().enumerate() {
            x.title = (["Same prefix A", "Same prefix B", "Other", "Same prefix A2"][i % 4]
                .to_string()
                + &"x".repeat(i % 3))
                .into();
            x.control_id = (i % 5 != 0).then(|| format!("S3.{}", i % 11).into());
        }
        let f: Vec<Arc<Finding>> = f.into_iter().map(Arc::new).collect();
        for column in Column::ALL {
            for descending in [false, true] {
                let sort = Sort { column, descending };
                let got = compute(&f, &Filter::default(), sort, Scope::All, 0);
                let mut want: Vec<u32> = (0..f.len() as u32).collect();
                want.sort_by(|&a, &b| {
                    let (fa, fb) = (&f[a as usize], &f[b as usize]);
                    let p = column.compare(fa, fb);
                    let p = if descending { p.reverse() } else { p };
                    p.then_with(|| fb.severity.cmp(&fa.severity))
                        .then_with(|| fb.updated_at.cmp(&fa.updated_at))
                        .then_with(|| id_key(&fa.id).cmp(&id_key(&fb.id)))
                        .then_with(|| fa.id.cmp(&fb.id))
                });
                assert_eq!(got, want, "{column:?} descending={descending}");
            }
        }
    }

    #[test]
    fn filters_and_hides_archived() {
        let mut f: Vec<Finding> = (0..10).map(|i| sample_finding(i, 1)).collect();
        f[0].record_state = RecordState::Archived;
        f[1].workflow = Workflow::Resolved;
        let f: Vec<Arc<Finding>> = f.into_iter().map(Arc::new).collect();
        assert_eq!(
            compute(&f, &Filter::default(), Sort::default(), Scope::Active, 0).len(),
            9
        );
        assert_eq!(
            compute(&f, &Filter::default(), Sort::default(), Scope::All, 0).len(),
            10
        );
        let flt = crate::filter::Filter::parse("wf:resolved").unwrap();
        assert_eq!(
            compute(&f, &flt, Sort::default(), Scope::Active, 0),
            vec![1]
        );
    }

    /// The working view hides what needs no attention: resolved, suppressed, passed,
    /// archived.
    #[test]
    fn the_working_scope() {
        let mut f: Vec<Finding> = (0..6).map(|i| sample_finding(i, 1)).collect();
        f[0].record_state = RecordState::Archived;
        f[1].workflow = Workflow::Resolved;
        f[2].workflow = Workflow::Suppressed;
        f[3].compliance = Some(crate::model::ComplianceStatus::Passed);
        f[4].workflow = Workflow::Notified;
        f[5].compliance = None;
        let f: Vec<Arc<Finding>> = f.into_iter().map(Arc::new).collect();
        let mut got = compute(&f, &Filter::default(), Sort::default(), Scope::Working, 0);
        got.sort();
        assert_eq!(got, vec![4, 5]);
    }

    #[test]
    fn short_resource_names() {
        assert_eq!(short_resource("arn:aws:s3:::bucket-1"), "bucket-1");
        assert_eq!(
            short_resource(
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"
            ),
            "vm1"
        );
        assert_eq!(
            short_resource("//storage.googleapis.com/my-bucket"),
            "my-bucket"
        );
        assert_eq!(short_resource("src/app.py:12"), "src/app.py:12");
        assert_eq!(
            short_resource("arn:aws:ec2:us-east-1:1:security-group/sg-123"),
            "sg-123"
        );
        assert_eq!(short_resource("AWS::::Account:111"), "AWS::::Account:111");
    }

    #[test]
    fn split_filtering_gives_the_same_view() {
        let all = set(1000);
        let f = Filter::parse("sev:>=medium").unwrap();
        for sort in [
            Sort::default(),
            Sort {
                column: Column::Title,
                descending: false,
            },
        ] {
            let one = compute_in(&all, &f, sort, Scope::All, 0, 1);
            assert!(!one.is_empty() && one.len() < 1000);
            assert_eq!(compute_in(&all, &f, sort, Scope::All, 0, 3), one);
            // Narrowing keeps the order, split or not.
            let high = Filter::parse("sev:>=high").unwrap();
            let narrowed = narrow_in(&all, &one, &high, 0, 3);
            assert_eq!(narrowed, narrow_in(&all, &one, &high, 0, 1));
            assert!(!narrowed.is_empty() && narrowed.len() < one.len());
            assert_eq!(narrowed, compute_in(&all, &high, sort, Scope::All, 0, 1));
        }
    }
}

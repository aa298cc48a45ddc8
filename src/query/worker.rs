//! Filter, sort and group off the UI thread, for views too big to recompute between two
//! frames: the console submits a job, the newest job replaces one still waiting, and the
//! result comes back as a message. Below the size threshold the console computes inline.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use super::{GroupBy, GroupKeys, GroupOrder, Grouped, Scope, Sort, compute, group_keyed};
use crate::filter::Filter;

/// A snapshot's findings.
pub type Findings = Arc<crate::hub::FindingList>;

/// What to compute.
#[derive(Debug, Clone)]
pub struct ViewJob {
    /// Answers carry it back; only the newest one is taken.
    pub seq: u64,
    pub findings: Findings,
    pub filter: Filter,
    pub sort: Sort,
    pub scope: Scope,
    pub now: i64,
    /// Narrow these rows (the view shown, of the same findings) instead of every finding.
    pub base: Option<Arc<Vec<u32>>>,
    pub group: Option<(GroupBy, GroupOrder, bool)>,
}

/// A job is known by its number.
impl PartialEq for ViewJob {
    fn eq(&self, other: &ViewJob) -> bool {
        self.seq == other.seq
    }
}

/// What came of it.
#[derive(Debug, Clone)]
pub struct ViewDone {
    pub seq: u64,
    pub findings: Findings,
    pub view: Vec<u32>,
    /// With the keys they were made from (kept by the console for regrouping).
    pub groups: Option<(Arc<GroupKeys>, Grouped)>,
    pub took_ms: u64,
}

/// Computes `job`, reusing `keys` when they were made for the same findings and grouping.
pub fn run(job: ViewJob, keys: &mut Option<(Findings, Arc<GroupKeys>)>) -> ViewDone {
    let t = Instant::now();
    let view = match &job.base {
        Some(base) => super::sort::narrow(&*job.findings, base, &job.filter, job.now),
        None => compute(&job.findings, &job.filter, job.sort, job.scope, job.now),
    };
    let groups = job.group.map(|(by, order, reverse)| {
        let k = keys_for(keys, &job.findings, by);
        let g = group_keyed(&k, &view, order, reverse);
        (k, g)
    });
    ViewDone {
        seq: job.seq,
        findings: job.findings,
        view,
        groups,
        took_ms: t.elapsed().as_millis() as u64,
    }
}

/// The group keys of `findings` under `by`: those in `cache` when they were made for the
/// same findings and grouping, else new ones (kept in `cache`).
pub fn keys_for(
    cache: &mut Option<(Findings, Arc<GroupKeys>)>,
    findings: &Findings,
    by: GroupBy,
) -> Arc<GroupKeys> {
    match cache {
        Some((f, k)) if Arc::ptr_eq(f, findings) && k.by == by => k.clone(),
        _ => {
            let k = Arc::new(GroupKeys::new(&**findings, by));
            *cache = Some((findings.clone(), k.clone()));
            k
        }
    }
}

/// One thread computing the newest job submitted.
#[derive(Clone)]
pub struct ViewWorker {
    slot: Arc<(Mutex<Slot>, Condvar)>,
}

#[derive(Default)]
struct Slot {
    job: Option<ViewJob>,
    closed: bool,
}

impl ViewWorker {
    /// Starts the thread; `done` receives each result (and may drop stale ones).
    pub fn spawn(done: impl Fn(ViewDone) + Send + 'static) -> ViewWorker {
        let slot: Arc<(Mutex<Slot>, Condvar)> = Arc::default();
        let s = slot.clone();
        std::thread::Builder::new()
            .name("views".into())
            .spawn(move || {
                let mut keys = None;
                loop {
                    let job = {
                        let (lock, cv) = &*s;
                        let mut g = lock.lock().expect("view worker lock");
                        loop {
                            if let Some(j) = g.job.take() {
                                break j;
                            }
                            if g.closed {
                                return;
                            }
                            g = cv.wait(g).expect("view worker lock");
                        }
                    };
                    done(run(job, &mut keys));
                }
            })
            .expect("spawn view worker");
        ViewWorker { slot }
    }

    /// Queues `job`, replacing one not started yet.
    pub fn submit(&self, job: ViewJob) {
        let (lock, cv) = &*self.slot;
        lock.lock().expect("view worker lock").job = Some(job);
        cv.notify_one();
    }

    /// Lets the thread end once idle.
    pub fn close(&self) {
        let (lock, cv) = &*self.slot;
        lock.lock().expect("view worker lock").closed = true;
        cv.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::memory::sample_finding;

    fn job(seq: u64, findings: &Findings, text: &str) -> ViewJob {
        ViewJob {
            seq,
            findings: findings.clone(),
            filter: Filter::parse(text).unwrap(),
            sort: Sort::default(),
            scope: Scope::All,
            now: 0,
            base: None,
            group: Some((GroupBy::Control, GroupOrder::Count, false)),
        }
    }

    #[test]
    fn the_same_answer_as_inline_and_the_newest_job_wins() {
        let findings: Findings = Arc::new(
            (0..300)
                .map(|i| Arc::new(sample_finding(i, i as i64)))
                .collect(),
        );
        let mut keys = None;
        let done = run(job(1, &findings, "sev:>=high"), &mut keys);
        let inline = compute(
            &findings,
            &Filter::parse("sev:>=high").unwrap(),
            Sort::default(),
            Scope::All,
            0,
        );
        assert_eq!(done.view, inline);
        let (k, g) = done.groups.unwrap();
        assert_eq!(g.iter().map(|g| g.total()).sum::<usize>(), inline.len());
        // Narrowing the shown rows gives the same rows as filtering everything.
        let mut narrow = job(2, &findings, "sev:>=high f-00001");
        narrow.base = Some(Arc::new(inline.clone()));
        let n = run(narrow.clone(), &mut keys);
        narrow.base = None;
        assert_eq!(n.view, run(narrow, &mut keys).view);
        assert!(!n.view.is_empty() && n.view.len() < inline.len());
        // The keys were reused, not rebuilt.
        assert!(Arc::ptr_eq(&k, &keys.as_ref().unwrap().1));

        // On the thread: jobs submitted faster than it computes collapse to the newest.
        let (tx, rx) = std::sync::mpsc::channel();
        let w = ViewWorker::spawn(move |d| tx.send(d.seq).unwrap());
        for seq in 1..=50 {
            w.submit(job(seq, &findings, "sev:critical"));
        }
        let mut got = Vec::new();
        while got.last() != Some(&50) {
            got.push(rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap());
        }
        assert!(got.windows(2).all(|w| w[0] < w[1]), "{got:?}");
        w.close();
    }
}

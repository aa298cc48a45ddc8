//! The notification service the console and `agent-hubble watch` both run: the rules engine
//! on its own thread (SQLite is blocking) following the hub's snapshots, the outbox worker
//! on the runtime, the analysts' commands (one-off notifications, tickets, retry, discard)
//! from bounded channels, and a published view of the outbox, rules and tickets. The UI
//! never touches the store or the network.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, mpsc, oneshot, watch};

use super::clock::SharedClock;
use super::message::EventKind;
use super::outbox::{Entry, Outbox, State, Step};
use super::plan::{Planner, manual};
use super::rules::Engine;
use super::settings::Settings;
use super::worker::{Worker, senders};
use crate::audit::AuditLog;
use crate::config::notify::ChannelKind;
use crate::hub::Snapshot;
use crate::model::Finding;

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// A one-off notification about these findings to one channel (`n`).
    Notify {
        channel: String,
        findings: Vec<Arc<Finding>>,
        note: String,
    },
    /// A ticket per finding on a Jira channel (`t`).
    Ticket {
        channel: String,
        findings: Vec<Arc<Finding>>,
    },
    Retry(i64),
    Discard(i64),
}

pub type Request = (Command, oneshot::Sender<Result<String, String>>);

#[derive(Debug, Clone, PartialEq)]
pub struct RuleRow {
    pub name: String,
    pub when: String,
    pub to: Vec<String>,
    /// Findings matching now, and notified ones not resolved yet.
    pub matching: usize,
    pub open: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChannelRow {
    pub name: String,
    pub kind: ChannelKind,
    /// Why this process cannot send on it (a secret is missing).
    pub unavailable: Option<String>,
    /// Paused by a 429 until (ms), with the answer.
    pub paused: Option<(i64, String)>,
}

/// What the notifications view shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct View {
    pub entries: Vec<Entry>,
    pub counts: HashMap<State, usize>,
    pub rules: Vec<RuleRow>,
    pub channels: Vec<ChannelRow>,
    /// Finding id → (channel, issue key, resolved).
    pub tickets: HashMap<String, Vec<(String, String, bool)>>,
    pub error: Option<String>,
    /// Rules are evaluated in this process.
    pub evaluating: bool,
}

pub struct Context {
    pub settings: Arc<Settings>,
    pub store_path: PathBuf,
    pub audit: Arc<Mutex<AuditLog>>,
    pub actor: String,
    pub clock: SharedClock,
    pub demo: bool,
    /// Refuse the analysts' commands (the console's `--read-only`).
    pub read_only: bool,
    /// Evaluate rules here (else only send what others enqueued).
    pub evaluate: bool,
    /// How long shutdown waits for sends in flight.
    pub grace: Duration,
}

pub struct Handle {
    pub commands: mpsc::Sender<Request>,
    pub view: watch::Receiver<Arc<View>>,
    stop: watch::Sender<bool>,
    worker: tokio::task::JoinHandle<()>,
    others: Vec<tokio::task::JoinHandle<()>>,
    engine: Option<std::thread::JoinHandle<()>>,
}

impl Handle {
    /// Stops evaluating and claiming, waits for sends in flight (up to the grace period) and
    /// gives back what was claimed but not sent.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        let _ = (&mut self.worker).await;
        for t in &self.others {
            t.abort();
        }
        if let Some(e) = self.engine.take() {
            let _ = tokio::task::spawn_blocking(move || e.join()).await;
        }
    }
}

/// Starts the service. Fails when the store cannot be opened.
pub fn spawn(ctx: Context, snapshots: watch::Receiver<Arc<Snapshot>>) -> Result<Handle, String> {
    let open = || {
        Outbox::open(&ctx.store_path, Some(ctx.audit.clone()), &ctx.actor)
            .map_err(|e| e.to_string())
    };
    let shared = Arc::new(Mutex::new(open()?));
    let (stop_tx, stop_rx) = watch::channel(false);
    let wake = Arc::new(Notify::new());
    let (usable, missing) = senders(&ctx.settings);
    for (name, why) in &missing {
        tracing::warn!("notify: channel {name} cannot send from this process: {why}");
    }
    let engine = if ctx.evaluate && !ctx.settings.rules.is_empty() {
        let outbox = open()?;
        let (settings, clock, demo) = (ctx.settings.clone(), ctx.clock.clone(), ctx.demo);
        let (stop, wake, snaps) = (stop_rx.clone(), wake.clone(), snapshots.clone());
        Some(
            std::thread::Builder::new()
                .name("notify-rules".into())
                .spawn(move || engine_loop(outbox, settings, clock, demo, snaps, stop, wake))
                .map_err(|e| e.to_string())?,
        )
    } else {
        None
    };
    let worker = Worker {
        outbox: shared.clone(),
        senders: usable,
        settings: ctx.settings.clone(),
        clock: ctx.clock.clone(),
        wake: wake.clone(),
        stop: stop_rx.clone(),
        grace: ctx.grace,
    };
    let worker = tokio::spawn(worker.run());
    let (cmd_tx, cmd_rx) = mpsc::channel::<Request>(16);
    let (view_tx, view_rx) = watch::channel(Arc::new(View::default()));
    let ctx = Arc::new(ctx);
    let refresh = Arc::new(Notify::new());
    let commands = tokio::spawn(commands_loop(
        ctx.clone(),
        shared.clone(),
        cmd_rx,
        wake.clone(),
        refresh.clone(),
    ));
    let viewer = tokio::spawn(view_loop(
        ctx,
        shared,
        missing,
        view_tx,
        refresh,
        engine.is_some(),
    ));
    Ok(Handle {
        commands: cmd_tx,
        view: view_rx,
        stop: stop_tx,
        worker,
        others: vec![commands, viewer],
        engine,
    })
}

fn commit(outbox: &mut Outbox, steps: Vec<Step>, now: i64, wake: &Notify) {
    if steps.iter().all(|s| s.op.is_none() && s.items.is_empty()) {
        return;
    }
    match outbox.commit(steps, now) {
        Ok(ids) if !ids.is_empty() => wake.notify_one(),
        Ok(_) => {}
        Err(e) => tracing::error!("notify: writing to the outbox: {e}"),
    }
}

/// How long a rule seen for the first time waits for every source's first sync before it
/// takes the present matches as known anyway.
const BASELINE_WAIT_MS: i64 = 120_000;
/// A full evaluation at least this often (age filters move with time alone).
const FULL_EVERY_MS: i64 = 60_000;

fn engine_loop(
    mut outbox: Outbox,
    settings: Arc<Settings>,
    clock: SharedClock,
    demo: bool,
    mut snapshots: watch::Receiver<Arc<Snapshot>>,
    mut stop: watch::Receiver<bool>,
    wake: Arc<Notify>,
) {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    else {
        return;
    };
    let started = clock.now_ms();
    let mut records = Vec::new();
    for r in &settings.rules {
        let rec = outbox.rule_record(&r.name).unwrap_or_default();
        if rec.fingerprint.as_deref() != Some(r.fingerprint.as_str()) {
            if let Err(e) = outbox.reset_rule(&r.name, &r.fingerprint) {
                tracing::error!("notify: rule {}: {e}", r.name);
            }
            records.push(Default::default());
        } else {
            records.push(rec);
        }
    }
    let mut engine = Engine::new(settings.clone(), &records);
    for (i, r) in settings.rules.iter().enumerate() {
        if engine.is_baselined(i) {
            let _ = outbox.set_baselined(&r.name, started);
        }
    }
    let mut evaluated: Option<u64> = None;
    let mut last_full = i64::MIN;
    loop {
        let go_on = rt.block_on(async {
            tokio::select! {
                r = snapshots.changed() => r.is_ok(),
                _ = tokio::time::sleep(Duration::from_millis(1000)) => true,
                _ = stop.changed() => false,
            }
        });
        if !go_on || *stop.borrow() {
            break;
        }
        let snap = snapshots.borrow_and_update().clone();
        let now = clock.now_ms();
        let planner = Planner {
            settings: &settings,
            now,
            demo,
        };
        let full_due = now.saturating_sub(last_full) >= FULL_EVERY_MS;
        // Half a cache is not the fleet: a rule baselined on it would take the rest for news.
        let loaded = snap.loading.is_none();
        if loaded && (evaluated != Some(snap.version) || full_due) {
            let full = full_due || !engine.follows(&snap);
            let changes = engine.evaluate(&snap, now, full);
            if full {
                last_full = now;
            }
            evaluated = Some(snap.version);
            let steps = planner.changes(&engine, changes);
            commit(&mut outbox, steps, now, &wake);
            let synced = !snap.sources.is_empty() && snap.sources.iter().all(|s| !s.stale);
            for (i, r) in settings.rules.iter().enumerate() {
                if !engine.is_baselined(i) && (synced || now - started >= BASELINE_WAIT_MS) {
                    engine.set_baselined(i);
                    let _ = outbox.set_baselined(&r.name, now);
                    tracing::info!("notify: rule {:?} baselined; later matches notify", r.name);
                }
            }
        }
        match outbox.due_escalations(now) {
            Ok(due) if !due.is_empty() => {
                let steps = planner.escalations(&engine, due);
                commit(&mut outbox, steps, now, &wake);
            }
            Ok(_) => {}
            Err(e) => tracing::error!("notify: escalations: {e}"),
        }
        match outbox.remediation_transitions() {
            Ok(t) if !t.is_empty() => {
                let steps = planner.remediation(&engine, &t);
                commit(&mut outbox, steps, now, &wake);
            }
            Ok(_) => {}
            Err(e) => tracing::debug!("notify: remediation transitions: {e}"),
        }
        let steps = {
            let cell = std::cell::RefCell::new(&mut outbox);
            let since = |source: &str, failing: bool| {
                cell.borrow_mut()
                    .source_failing(source, failing, now)
                    .ok()
                    .flatten()
            };
            planner.sources(&snap, &since)
        };
        commit(&mut outbox, steps, now, &wake);
    }
}

async fn commands_loop(
    ctx: Arc<Context>,
    outbox: Arc<Mutex<Outbox>>,
    mut rx: mpsc::Receiver<Request>,
    wake: Arc<Notify>,
    refresh: Arc<Notify>,
) {
    while let Some((cmd, reply)) = rx.recv().await {
        let ctx2 = ctx.clone();
        let o = outbox.clone();
        let r = tokio::task::spawn_blocking(move || {
            handle(&ctx2, &mut o.lock().expect("outbox lock"), cmd)
        })
        .await
        .unwrap_or_else(|e| Err(e.to_string()));
        if r.is_ok() {
            wake.notify_one();
        }
        refresh.notify_one();
        let _ = reply.send(r);
    }
}

fn handle(ctx: &Context, outbox: &mut Outbox, cmd: Command) -> Result<String, String> {
    if ctx.read_only {
        return Err(
            "read-only mode: no notifications, tickets, retries or discards from this console"
                .into(),
        );
    }
    let now = ctx.clock.now_ms();
    match cmd {
        Command::Notify {
            channel,
            findings,
            note,
        } => {
            let items = manual(
                &ctx.settings,
                &channel,
                &findings,
                EventKind::Shared,
                Some(&note),
                &ctx.actor,
                now,
                ctx.demo,
            );
            if items.is_empty() {
                return Err(format!("no channel {channel:?}"));
            }
            let n = items.len();
            outbox.enqueue(items, now).map_err(|e| e.to_string())?;
            Ok(format!(
                "{n} notification(s) to {channel} queued (the notifications view shows them)"
            ))
        }
        Command::Ticket { channel, findings } => {
            if ctx.settings.channel(&channel).map(|c| c.kind) != Some(ChannelKind::Jira) {
                return Err(format!("{channel} is not a Jira channel"));
            }
            let mut todo = Vec::new();
            let mut have = Vec::new();
            for f in findings {
                match outbox.ticket(&f.id, &channel).map_err(|e| e.to_string())? {
                    Some(k) => have.push(k),
                    None => todo.push(f),
                }
            }
            let items = manual(
                &ctx.settings,
                &channel,
                &todo,
                EventKind::Ticket,
                None,
                &ctx.actor,
                now,
                ctx.demo,
            );
            let n = items.len();
            let ids = outbox.enqueue(items, now).map_err(|e| e.to_string())?;
            let mut text = format!("{} ticket(s) queued on {channel}", ids.len());
            if ids.len() < n {
                text.push_str(&format!(" ({} already asked for)", n - ids.len()));
            }
            if !have.is_empty() {
                text.push_str(&format!("; already ticketed: {}", have.join(", ")));
            }
            Ok(text)
        }
        Command::Retry(id) => outbox
            .retry_or_discard(id, true, &ctx.actor, now)
            .map_err(|e| e.to_string()),
        Command::Discard(id) => outbox
            .retry_or_discard(id, false, &ctx.actor, now)
            .map_err(|e| e.to_string()),
    }
}

async fn view_loop(
    ctx: Arc<Context>,
    outbox: Arc<Mutex<Outbox>>,
    missing: HashMap<String, String>,
    tx: watch::Sender<Arc<View>>,
    refresh: Arc<Notify>,
    evaluating: bool,
) {
    let mut counts_at = i64::MIN;
    let mut rule_counts: HashMap<String, (usize, usize)> = HashMap::new();
    loop {
        let now = ctx.clock.now_ms();
        let want_counts = now.saturating_sub(counts_at) >= 5_000;
        let o = outbox.clone();
        let r = tokio::task::spawn_blocking(move || {
            let o = o.lock().expect("outbox lock");
            let entries = o.list(200)?;
            let counts = o.counts()?;
            let paused = o.paused(now)?;
            let tickets = o.tickets()?;
            let rc = if want_counts {
                Some(o.rule_counts()?)
            } else {
                None
            };
            Ok::<_, super::outbox::OutboxError>((entries, counts, paused, tickets, rc))
        })
        .await;
        let view = match r {
            Ok(Ok((entries, counts, paused, tickets, rc))) => {
                if let Some(rc) = rc {
                    rule_counts = rc;
                    counts_at = now;
                }
                let mut by_finding: HashMap<String, Vec<(String, String, bool)>> = HashMap::new();
                for (f, c, k, resolved) in tickets {
                    by_finding.entry(f).or_default().push((c, k, resolved));
                }
                View {
                    entries,
                    counts,
                    rules: ctx
                        .settings
                        .rules
                        .iter()
                        .map(|r| {
                            let (m, o) = rule_counts.get(&r.name).copied().unwrap_or((0, 0));
                            RuleRow {
                                name: r.name.clone(),
                                when: r.when.clone(),
                                to: r.to.clone(),
                                matching: m,
                                open: o,
                            }
                        })
                        .collect(),
                    channels: ctx
                        .settings
                        .channels
                        .iter()
                        .map(|c| ChannelRow {
                            name: c.name.clone(),
                            kind: c.kind,
                            unavailable: missing.get(&c.name).cloned(),
                            paused: paused.get(&c.name).cloned(),
                        })
                        .collect(),
                    tickets: by_finding,
                    error: None,
                    evaluating,
                }
            }
            Ok(Err(e)) => View {
                error: Some(e.to_string()),
                ..(**tx.borrow()).clone()
            },
            Err(_) => return,
        };
        tx.send_if_modified(|old| {
            let changed = **old != view;
            if changed {
                *old = Arc::new(view);
            }
            changed
        });
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(1000)) => {}
            _ = refresh.notified() => {}
        }
    }
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;

//! The event loop: terminal events, snapshots and effect results become messages; the app
//! updates; the screen is drawn only when something changed. Effects run on their own task:
//! audit entry first, then the API call, then a message back.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::{Notify, mpsc, oneshot, watch};

use super::app::{App, Effect, Msg};
use super::views;
use crate::audit::AuditLog;
use crate::hub::{HubInput, Snapshot};
use crate::model::{Note, now_ms};
use crate::sources::{Source, WorkflowUpdate};

/// What effects need to reach the outside world.
#[derive(Clone)]
pub struct EffectContext {
    pub sources: HashMap<String, Arc<dyn Source>>,
    pub hub: mpsc::Sender<HubInput>,
    pub audit: Option<Arc<Mutex<AuditLog>>>,
    pub refresh: Arc<Notify>,
    pub actor: String,
    /// The remediation service, when remediation is enabled.
    pub remediation: Option<mpsc::Sender<crate::remediation::service::Request>>,
    pub queue_view: Option<watch::Receiver<Arc<crate::remediation::service::QueueView>>>,
    /// Where views are saved and exports written.
    pub paths: Option<crate::config::Paths>,
    /// The notification service (tickets, one-off notifications, retry, discard), when it
    /// runs, and its view of the outbox.
    pub notify: Option<mpsc::Sender<crate::notify::service::Request>>,
    pub notify_view: Option<watch::Receiver<Arc<crate::notify::View>>>,
}

/// Frame budget: at most ~30 draws per second however fast events arrive.
const FRAME: Duration = Duration::from_millis(33);

/// Runs until the app quits. `events` is crossterm's stream in production and a scripted
/// stream in tests and benchmarks.
pub async fn run<B, S>(
    terminal: &mut Terminal<B>,
    mut app: App,
    mut events: S,
    mut snapshots: watch::Receiver<Arc<Snapshot>>,
    ctx: EffectContext,
) -> anyhow::Result<()>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    S: futures::Stream<Item = std::io::Result<Event>> + Unpin,
{
    let (msg_tx, mut msg_rx) = mpsc::channel::<Msg>(64);
    let mut queue_rx = ctx.queue_view.clone();
    let mut hub_alive = true;
    let mut queue_alive = queue_rx.is_some();
    let mut notify_rx = ctx.notify_view.clone();
    let mut notify_alive = notify_rx.is_some();
    let (fx_tx, fx_rx) = mpsc::channel::<Effect>(64);
    let effects = tokio::spawn(run_effects(fx_rx, msg_tx.clone(), ctx));
    // Big views are filtered, sorted and grouped on their own thread (newest job wins); the
    // guard lets it end on every way out of this function.
    let view_tx = msg_tx.clone();
    let views = Views(crate::query::worker::ViewWorker::spawn(move |done| {
        let _ = view_tx.blocking_send(Msg::ViewReady(Box::new(done)));
    }));
    let size = terminal.size()?;
    app.update(Msg::Resize(size.width, size.height));
    let mut clock = tokio::time::interval(Duration::from_secs(15));
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut last_draw = tokio::time::Instant::now() - FRAME;
    loop {
        if app.dirty {
            let wait = FRAME.saturating_sub(last_draw.elapsed());
            if wait.is_zero() {
                draw(terminal, &app)?;
                app.dirty = false;
                last_draw = tokio::time::Instant::now();
            }
        }
        let deadline = if app.dirty {
            FRAME.saturating_sub(last_draw.elapsed())
        } else {
            Duration::from_secs(3600)
        };
        let mut effects_out = Vec::new();
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(Event::Key(k))) if k.kind != KeyEventKind::Release => effects_out = app.update(Msg::Key(k)),
                Some(Ok(Event::Resize(w, h))) => effects_out = app.update(Msg::Resize(w, h)),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.into()),
                None => break,
            },
            changed = snapshots.changed(), if hub_alive => {
                if changed.is_ok() {
                    let s = snapshots.borrow_and_update().clone();
                    effects_out = app.update(Msg::Snapshot(s));
                } else {
                    // The hub is gone (a bug): stop listening instead of spinning, and say so.
                    hub_alive = false;
                    tracing::error!("the findings hub stopped");
                    effects_out = app.update(Msg::HubStopped);
                }
            }
            Some(m) = msg_rx.recv() => effects_out = app.update(m),
            changed = async { queue_rx.as_mut().expect("guarded").changed().await }, if queue_alive => {
                match changed {
                    Ok(()) => {
                        let v = queue_rx.as_mut().expect("guarded").borrow_and_update().clone();
                        effects_out = app.update(Msg::Queue(v));
                    }
                    Err(_) => queue_alive = false,
                }
            }
            changed = async { notify_rx.as_mut().expect("guarded").changed().await }, if notify_alive => {
                match changed {
                    Ok(()) => {
                        let v = notify_rx.as_mut().expect("guarded").borrow_and_update().clone();
                        effects_out = app.update(Msg::Notify(v));
                    }
                    Err(_) => notify_alive = false,
                }
            }
            _ = clock.tick() => effects_out = app.update(Msg::Tick(now_ms())),
            _ = tokio::time::sleep(deadline) => {}
        }
        for fx in effects_out {
            if let Effect::ComputeView(job) = fx {
                views.0.submit(*job);
                continue;
            }
            if fx == Effect::Quit {
                effects.abort();
                return Ok(());
            }
            if fx_tx.try_send(fx).is_err() {
                tracing::warn!("effects queue full; dropping an effect");
            }
        }
        if app.quit {
            break;
        }
    }
    effects.abort();
    Ok(())
}

/// The view worker, told to end when the console loop ends.
struct Views(crate::query::worker::ViewWorker);

impl Drop for Views {
    fn drop(&mut self) {
        self.0.close();
    }
}

fn draw<B: Backend>(terminal: &mut Terminal<B>, app: &App) -> anyhow::Result<()>
where
    B::Error: Send + Sync + 'static,
{
    terminal.draw(|f| views::render(f, app))?;
    Ok(())
}

/// Buffers a frame and writes it as one synchronized update (DEC mode 2026), in one write,
/// so a slow SSH link never shows half a frame. Nothing is written when nothing was drawn.
pub struct SyncWriter<W: Write> {
    inner: W,
    frame: Vec<u8>,
}

impl<W: Write> SyncWriter<W> {
    pub fn new(inner: W) -> Self {
        SyncWriter {
            inner,
            frame: Vec::with_capacity(64 * 1024),
        }
    }

    pub fn get_ref(&self) -> &W {
        &self.inner
    }
}

impl<W: Write> Write for SyncWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.frame.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.frame.is_empty() {
            self.inner.write_all(b"\x1b[?2026h")?;
            self.inner.write_all(&self.frame)?;
            self.inner.write_all(b"\x1b[?2026l")?;
            self.frame.clear();
        }
        self.inner.flush()
    }
}

async fn run_effects(mut rx: mpsc::Receiver<Effect>, tx: mpsc::Sender<Msg>, ctx: EffectContext) {
    while let Some(fx) = rx.recv().await {
        match fx {
            Effect::Quit => return,
            // Submitted to the view worker by the loop, never queued here.
            Effect::ComputeView(_) => {}
            Effect::Refresh => ctx.refresh.notify_waiters(),
            Effect::Remediation(cmd) => {
                let Some(service) = ctx.remediation.clone() else {
                    let reply =
                        crate::remediation::service::Reply::Done(Err("remediation is off".into()));
                    let _ = tx.send(Msg::Remediation(reply)).await;
                    continue;
                };
                let tx = tx.clone();
                tokio::spawn(async move {
                    let (reply_tx, reply_rx) = oneshot::channel();
                    if service.send((cmd, reply_tx)).await.is_ok()
                        && let Ok(reply) = reply_rx.await
                    {
                        let _ = tx.send(Msg::Remediation(reply)).await;
                    }
                });
            }
            Effect::Notify(cmd) => {
                let Some(service) = ctx.notify.clone() else {
                    let _ = tx
                        .send(Msg::Done(Err("notifications are off".into())))
                        .await;
                    continue;
                };
                let tx = tx.clone();
                tokio::spawn(async move {
                    let (reply_tx, reply_rx) = oneshot::channel();
                    let msg = if service.send((cmd, reply_tx)).await.is_err() {
                        Err("the notification service stopped".to_string())
                    } else {
                        reply_rx.await.unwrap_or_else(|_| {
                            Err("no answer from the notification service".into())
                        })
                    };
                    let _ = tx.send(Msg::Done(msg)).await;
                });
            }
            Effect::Copy(text) => copy_osc52(&text),
            Effect::CopyRaw(id) => {
                let (reply, answer) = oneshot::channel();
                if ctx.hub.send(HubInput::RawJson { id, reply }).await.is_ok()
                    && let Ok(Some(json)) = answer.await
                {
                    copy_osc52(&json);
                }
            }
            Effect::Alert { text, with } => alert(&text, with),
            Effect::Export {
                format,
                path,
                findings,
            } => {
                let r = export(&ctx, format, path, &findings);
                let _ = tx.send(Msg::Done(r)).await;
            }
            Effect::SaveView(view) => {
                let msg = match &ctx.paths {
                    Some(p) => match crate::query::views::save(&p.config_dir, view.clone()) {
                        Ok(file) => {
                            let _ = tx.send(Msg::ViewSaved(view.clone())).await;
                            Msg::Done(Ok(format!(
                                "view {:?} saved in {}",
                                view.name,
                                file.display()
                            )))
                        }
                        Err(e) => Msg::Done(Err(format!("view not saved: {e}"))),
                    },
                    None => Msg::Done(Err("no config dir to save views in".into())),
                };
                let _ = tx.send(msg).await;
            }
            Effect::LoadRaw(id) => {
                let (reply, answer) = oneshot::channel();
                let hub = ctx.hub.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    if hub
                        .send(HubInput::RawJson {
                            id: id.clone(),
                            reply,
                        })
                        .await
                        .is_ok()
                    {
                        let json = answer.await.ok().flatten();
                        let _ = tx.send(Msg::RawJson { id, json }).await;
                    }
                });
            }
            Effect::LoadTimeline(finding) => {
                let ctx = ctx.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    let (events, error) = load_timeline(&ctx, &finding).await;
                    let _ = tx
                        .send(Msg::Timeline {
                            id: finding.id,
                            events,
                            error,
                        })
                        .await;
                });
            }
            Effect::UpdateWorkflow {
                findings,
                status,
                note,
                reason,
            } => {
                let ctx = ctx.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    let msg = update_workflow(&ctx, findings, status, note, reason).await;
                    let _ = tx.send(msg).await;
                });
            }
        }
    }
}

/// The timeline's events from outside the snapshot: this finding's audit entries (read off
/// the UI thread) and the provider's own history. What fails is said, the rest still shows.
async fn load_timeline(
    ctx: &EffectContext,
    finding: &crate::model::FindingRef,
) -> (Vec<crate::timeline::Event>, Option<String>) {
    let mut events = Vec::new();
    let mut errors = Vec::new();
    if let Some(audit) = &ctx.audit {
        let path = audit.lock().expect("audit lock").path().to_path_buf();
        let id = finding.id.clone();
        let read = tokio::task::spawn_blocking(move || {
            std::fs::read_to_string(&path).map(|text| {
                let entries: Vec<crate::audit::Entry> = text
                    .lines()
                    .filter(|l| l.contains(id.as_str()))
                    .filter_map(|l| serde_json::from_str(l).ok())
                    .collect();
                crate::timeline::of_audit(&entries, &id)
            })
        })
        .await;
        match read {
            Ok(Ok(e)) => events.extend(e),
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => {}
            Ok(Err(e)) => errors.push(format!("audit log: {e}")),
            Err(e) => errors.push(format!("audit log: {e}")),
        }
    }
    if let Some(source) = ctx.sources.get(finding.source.as_str()) {
        match source.history(finding).await {
            Ok(e) => events.extend(e),
            Err(e) => errors.push(format!("provider history: {e}")),
        }
    }
    (events, (!errors.is_empty()).then(|| errors.join("; ")))
}

/// Audits, then calls each source's BatchUpdateFindings, then tells the hub and the app.
pub async fn update_workflow(
    ctx: &EffectContext,
    findings: Vec<crate::model::FindingRef>,
    status: crate::model::Workflow,
    note: Option<String>,
    reason: Option<String>,
) -> Msg {
    let mut by_source: HashMap<String, Vec<crate::model::FindingRef>> = HashMap::new();
    for f in findings {
        by_source.entry(f.source.to_string()).or_default().push(f);
    }
    let mut processed = Vec::new();
    let mut unprocessed = Vec::new();
    let mut errors = Vec::new();
    for (source_key, refs) in by_source {
        let Some(source) = ctx.sources.get(&source_key) else {
            errors.push(format!("{source_key}: source is not configured any more"));
            continue;
        };
        let ids: Vec<&str> = refs.iter().map(|r| r.id.as_str()).collect();
        let target = format!("{source_key}: {}", ids.join(","));
        // The provider's reason (GitHub's dismissed_reason) is part of what was decided.
        let justification = match &reason {
            Some(r) => format!("[{r}] {}", note.as_deref().unwrap_or_default())
                .trim_end()
                .to_string(),
            None => note.clone().unwrap_or_default(),
        };
        // The audit entry is durable before the change is made; no entry, no change.
        if let Some(audit) = &ctx.audit {
            let r = audit.lock().expect("audit lock").record(
                &ctx.actor,
                &format!("workflow:{}", status.as_str()),
                &target,
                &justification,
                "pending",
            );
            if let Err(e) = r {
                errors.push(format!("audit log write failed, change not made: {e}"));
                continue;
            }
        }
        let update = WorkflowUpdate {
            findings: refs,
            status,
            note: note.clone(),
            actor: ctx.actor.clone(),
            reason: reason.clone(),
        };
        let result = source.update_workflow(&update).await;
        let outcome = match &result {
            Ok(o) if o.unprocessed.is_empty() => format!("ok: {} processed", o.processed.len()),
            Ok(o) => format!(
                "partial: {} processed, {} unprocessed",
                o.processed.len(),
                o.unprocessed.len()
            ),
            Err(e) => format!("error: {e}"),
        };
        if let Some(audit) = &ctx.audit {
            let _ = audit.lock().expect("audit lock").record(
                &ctx.actor,
                &format!("workflow:{}", status.as_str()),
                &target,
                &justification,
                &outcome,
            );
        }
        match result {
            Ok(o) => {
                processed.extend(o.processed);
                unprocessed.extend(o.unprocessed);
            }
            Err(e) => errors.push(format!("{source_key}: {e}")),
        }
    }
    if !processed.is_empty() {
        // Poll now: the provider's own record (raw JSON, history) of the change comes back
        // with the next page instead of at the next interval.
        ctx.refresh.notify_one();
        let note = note.map(|text| Note {
            text,
            updated_by: ctx.actor.clone(),
            updated_at: now_ms(),
        });
        let _ = ctx
            .hub
            .send(HubInput::LocalWorkflow {
                ids: processed.clone(),
                status,
                note,
            })
            .await;
    }
    Msg::WorkflowDone {
        status,
        processed: processed.len(),
        unprocessed,
        error: (!errors.is_empty()).then(|| errors.join("; ")),
    }
}

/// OSC 52 clipboard write; works over SSH in most terminals. The text is base64, so no
/// control bytes reach the terminal.
/// Writes the findings of the current view; the file is created 0600 (findings name
/// accounts and resources).
fn export(
    ctx: &EffectContext,
    format: crate::query::export::Format,
    path: Option<std::path::PathBuf>,
    findings: &[Arc<crate::model::Finding>],
) -> Result<String, String> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = match path {
        Some(p) => p,
        None => {
            let dir = ctx
                .paths
                .as_ref()
                .map(|p| p.data_dir.join("exports"))
                .ok_or("no data dir for exports: give a path (export csv FILE)")?;
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            let stamp =
                crate::model::format_rfc3339(crate::model::now_ms()).replace([':', '.'], "-");
            dir.join(format!("findings-{stamp}.{}", format.extension()))
        }
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| format!("export: {}: {e}", path.display()))?;
    let rows: Vec<u32> = (0..findings.len() as u32).collect();
    let mut w = std::io::BufWriter::new(file);
    crate::query::export::write(&mut w, format, findings, &rows)
        .and_then(|_| w.flush())
        .map_err(|e| format!("export: {}: {e}", path.display()))?;
    Ok(format!(
        "exported {} finding(s) to {}",
        findings.len(),
        path.display()
    ))
}

/// The terminal bell and/or an OSC 9 desktop notification (iTerm2, kitty, WezTerm, foot,
/// Windows Terminal show it; others ignore it). The text is sanitised and bounded.
fn alert(text: &str, with: crate::config::AlertWith) {
    use crate::config::AlertWith;
    let mut out = std::io::stdout();
    let clean = crate::sanitize::bounded(text, 200).replace(['\x07', '\x1b'], "");
    if matches!(with, AlertWith::Osc9 | AlertWith::Both) {
        let _ = write!(out, "\x1b]9;agent-hubble: {clean}\x07");
    }
    if matches!(with, AlertWith::Bell | AlertWith::Both) {
        let _ = write!(out, "\x07");
    }
    let _ = out.flush();
}

fn copy_osc52(text: &str) {
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut enc = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                enc.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                enc.push('=');
            }
        }
    }
    let mut out = std::io::stdout();
    let _ = write!(out, "\x1b]52;c;{enc}\x07");
    let _ = out.flush();
}

/// Production entry: real terminal, crossterm events.
pub async fn run_terminal(
    app: App,
    snapshots: watch::Receiver<Arc<Snapshot>>,
    ctx: EffectContext,
) -> anyhow::Result<()> {
    // We choose colours (and honour NO_COLOR) ourselves; crossterm's own NO_COLOR handling
    // would emit bare resets that wipe reverse video.
    crossterm::style::force_color_output(true);
    let _guard = super::terminal::TerminalGuard::enter()?;
    let backend = ratatui::backend::CrosstermBackend::new(SyncWriter::new(
        super::terminal::Sgr16::new(std::io::stdout()),
    ));
    let mut terminal = Terminal::new(backend)?;
    terminal.clear()?;
    run(&mut terminal, app, EventStream::new(), snapshots, ctx).await
}

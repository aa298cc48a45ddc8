//! The outbox worker: claims due entries (leased, paced per channel across processes),
//! sends them on their channels with a bounded number in flight per channel, and records
//! each outcome. On shutdown it stops claiming, lets sends in flight finish (within a grace
//! period) and gives back the entries it claimed but did not start.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use super::channels::{SendContext, Sender};
use super::clock::SharedClock;
use super::outbox::{Claimed, Outbox, Outcome};
use super::settings::Settings;

/// Entries claimed in one store transaction.
const BATCH: usize = 64;

pub struct Worker {
    pub outbox: Arc<Mutex<Outbox>>,
    /// The channels this process can send on (secrets present).
    pub senders: HashMap<String, Arc<Sender>>,
    pub settings: Arc<Settings>,
    pub clock: SharedClock,
    /// Rung when something was enqueued.
    pub wake: Arc<Notify>,
    pub stop: watch::Receiver<bool>,
    /// How long shutdown waits for sends in flight.
    pub grace: Duration,
}

enum Done {
    Sent(String),
    /// Not started before shutdown: give the entry back.
    Unsent(String, i64),
}

async fn blocking<T: Send + 'static>(
    outbox: &Arc<Mutex<Outbox>>,
    f: impl FnOnce(&mut Outbox) -> T + Send + 'static,
) -> Option<T> {
    let o = outbox.clone();
    tokio::task::spawn_blocking(move || f(&mut o.lock().expect("outbox lock")))
        .await
        .ok()
}

impl Worker {
    pub async fn run(mut self) {
        let mut inflight: HashMap<String, usize> = HashMap::new();
        let mut tasks: JoinSet<Done> = JoinSet::new();
        loop {
            if *self.stop.borrow() {
                break;
            }
            let now = self.clock.now_ms();
            let free: HashMap<String, (f64, usize)> = self
                .senders
                .iter()
                .map(|(name, s)| {
                    let used = inflight.get(name).copied().unwrap_or(0);
                    (
                        name.clone(),
                        (s.channel.rate, s.channel.concurrency.saturating_sub(used)),
                    )
                })
                .filter(|(_, (_, n))| *n > 0)
                .collect();
            let lease = self.settings.lease_ms;
            let claimed = if free.is_empty() {
                Vec::new()
            } else {
                match blocking(&self.outbox, move |o| {
                    let c = o.claim(&free, now, lease, BATCH)?;
                    // What each send needs from the store: the finding's existing ticket.
                    let mut out = Vec::new();
                    for cl in c {
                        let ticket = match &cl.entry.finding_id {
                            Some(f) => o.ticket(f, &cl.entry.channel)?,
                            None => None,
                        };
                        out.push((cl, ticket));
                    }
                    Ok::<_, super::outbox::OutboxError>(out)
                })
                .await
                {
                    Some(Ok(c)) => c,
                    Some(Err(e)) => {
                        tracing::error!("notify: claiming outbox entries: {e}");
                        Vec::new()
                    }
                    None => Vec::new(),
                }
            };
            for (Claimed { entry, send_at }, ticket) in claimed {
                let Some(sender) = self.senders.get(&entry.channel).cloned() else {
                    continue;
                };
                *inflight.entry(entry.channel.clone()).or_default() += 1;
                let outbox = self.outbox.clone();
                let clock = self.clock.clone();
                let mut stop = self.stop.clone();
                let max = self.settings.max_attempts;
                tasks.spawn(async move {
                    let wait = send_at - clock.now_ms();
                    if wait > 0 {
                        tokio::select! {
                            _ = tokio::time::sleep(Duration::from_millis(wait as u64)) => {}
                            _ = stop.wait_for(|s| *s) => return Done::Unsent(entry.channel.clone(), entry.id),
                        }
                    }
                    if *stop.borrow() {
                        return Done::Unsent(entry.channel.clone(), entry.id);
                    }
                    let ctx = SendContext {
                        ticket,
                        previous_attempts: entry.attempts.saturating_sub(1),
                    };
                    let outcome = sender.send(&entry, &ctx).await;
                    match &outcome {
                        Outcome::Sent { .. } => tracing::info!("notify: sent {} ({}) to {}", entry.key, entry.event, entry.channel),
                        Outcome::Retry { reason, after_ms, .. } => tracing::warn!(
                            "notify: {} to {} will be retried in {} s: {reason}",
                            entry.key, entry.channel, after_ms / 1000
                        ),
                        Outcome::Failed { reason } => tracing::error!("notify: {} to {} failed: {reason}", entry.key, entry.channel),
                    }
                    let channel = entry.channel.clone();
                    let now = clock.now_ms();
                    let r = blocking(&outbox, move |o| o.finish(&entry, &outcome, now, max)).await;
                    if let Some(Err(e)) = r {
                        tracing::error!("notify: recording a send: {e}");
                    }
                    Done::Sent(channel)
                });
            }
            let next = blocking(&self.outbox, |o| o.next_due().ok().flatten())
                .await
                .flatten();
            let now = self.clock.now_ms();
            let sleep = next.map_or(1000, |t| (t - now).clamp(20, 1000)) as u64;
            tokio::select! {
                Some(done) = tasks.join_next(), if !tasks.is_empty() => self.done(done, &mut inflight).await,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(sleep)) => {}
                _ = self.stop.changed() => {}
            }
            // Collect whatever else finished meanwhile.
            while let Some(done) = tasks.try_join_next() {
                self.done(done, &mut inflight).await;
            }
        }
        // Shutdown: sends in flight finish (bounded); unsent claims go back.
        let deadline = tokio::time::sleep(self.grace);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                done = tasks.join_next() => match done {
                    Some(d) => self.done(d, &mut inflight).await,
                    None => break,
                },
                _ = &mut deadline => {
                    tracing::warn!("notify: {} send(s) still in flight at shutdown; their leases expire", tasks.len());
                    tasks.abort_all();
                    break;
                }
            }
        }
    }

    async fn done(
        &self,
        done: Result<Done, tokio::task::JoinError>,
        inflight: &mut HashMap<String, usize>,
    ) {
        let channel = match done {
            Ok(Done::Sent(c)) => c,
            Ok(Done::Unsent(c, id)) => {
                let _ = blocking(&self.outbox, move |o| o.release(&[id])).await;
                c
            }
            Err(e) => {
                tracing::error!("notify: a send task ended abnormally: {e}");
                return;
            }
        };
        if let Some(n) = inflight.get_mut(&channel) {
            *n = n.saturating_sub(1);
        }
    }
}

/// Senders for every channel whose secrets are present; the others with the reason.
pub fn senders(settings: &Settings) -> (HashMap<String, Arc<Sender>>, HashMap<String, String>) {
    let mut ok = HashMap::new();
    let mut missing = HashMap::new();
    for c in &settings.channels {
        match Sender::new(c) {
            Ok(s) => {
                ok.insert(c.name.clone(), Arc::new(s));
            }
            Err(e) => {
                missing.insert(c.name.clone(), e);
            }
        }
    }
    (ok, missing)
}

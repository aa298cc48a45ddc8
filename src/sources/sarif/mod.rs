//! SARIF 2.1.0 files and watched directories (`[[sarif]]`): one source per entry, key
//! `sarif/<name>`. Every poll is a full read of the current files (`incremental()` is false,
//! so findings of a deleted file, or a file that no longer reports them, go away); unchanged
//! files are served from a per-file cache. The source asks the poller for a short interval
//! and answers its cheap `changed()` check from a `stat` scan, so a file dropped by a CI job
//! shows up within seconds and an idle directory costs a few `stat`s per interval.

pub mod normalize;
pub mod parse;
pub mod rules;
pub mod uri;
pub mod watch;

#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;

use crate::config::SarifConfig;
use crate::model::Provider;
use crate::sources::{NormalizedPage, Query, RateLimit, Source, SourceError, SourceInfo};

pub use normalize::{FileContext, FileFindings, normalize_file};
pub use watch::{Read, Watch};

/// How often the watched paths are checked for new, changed and deleted files.
pub const WATCH_INTERVAL: Duration = Duration::from_secs(2);
/// A file that fails to parse is reported once it has not changed for this long; before
/// that it is retried (a CI job may still be writing it).
pub const SETTLE: Duration = Duration::from_secs(5);
/// Findings per page handed to the poller.
pub const PAGE: usize = 2_000;

/// The sources of one config entry.
pub async fn sources(cfg: &SarifConfig) -> anyhow::Result<Vec<Arc<dyn Source>>> {
    let paths = cfg
        .paths
        .get_ref()
        .iter()
        .map(|p| p.get_ref().clone())
        .collect();
    let name = cfg.name.get_ref();
    let repository = cfg.repository.clone().unwrap_or_else(|| name.clone());
    Ok(vec![Arc::new(SarifSource::new(name, paths, &repository))])
}

/// The rest of a full read being paged out.
struct Paging {
    generation: u64,
    rest: std::vec::IntoIter<crate::sources::Normalized>,
}

pub struct SarifSource {
    info: SourceInfo,
    watch: Arc<Mutex<Watch>>,
    interval: Duration,
    paging: Mutex<Option<Paging>>,
    generation: std::sync::atomic::AtomicU64,
}

impl SarifSource {
    pub fn new(name: &str, paths: Vec<PathBuf>, repository: &str) -> SarifSource {
        let key = format!("sarif/{name}");
        SarifSource {
            info: SourceInfo {
                key: key.clone(),
                provider: Provider::Sarif,
                name: name.to_string(),
                region: String::new(),
            },
            watch: Arc::new(Mutex::new(Watch::new(
                paths,
                key,
                repository.to_string(),
                SETTLE,
            ))),
            interval: WATCH_INTERVAL,
            paging: Mutex::new(None),
            generation: Default::default(),
        }
    }

    /// Another watch interval and settle time (tests).
    pub fn with_timing(self, interval: Duration, settle: Duration) -> SarifSource {
        self.lock().settle = settle;
        SarifSource { interval, ..self }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Watch> {
        self.watch.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads every file now (unchanged ones from the cache), off the async threads.
    async fn read(&self) -> Result<Read, SourceError> {
        let watch = self.watch.clone();
        tokio::task::spawn_blocking(move || {
            watch
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .read(SystemTime::now())
        })
        .await
        .map_err(|e| SourceError::Other(format!("reading SARIF files: {e}")))
    }

    fn next_page(&self, generation: u64, skipped: Vec<String>) -> NormalizedPage {
        let mut paging = self.paging.lock().unwrap_or_else(|e| e.into_inner());
        let Some(p) = paging.as_mut().filter(|p| p.generation == generation) else {
            return NormalizedPage {
                skipped,
                ..NormalizedPage::default()
            };
        };
        let items: Vec<_> = p.rest.by_ref().take(PAGE).collect();
        let next_token = if p.rest.len() == 0 {
            *paging = None;
            None
        } else {
            Some(format!("{generation}"))
        };
        NormalizedPage {
            items,
            skipped,
            next_token,
        }
    }
}

impl Source for SarifSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn fetch_page<'a>(
        &'a self,
        _query: &'a Query,
        token: Option<String>,
    ) -> BoxFuture<'a, Result<NormalizedPage, SourceError>> {
        Box::pin(async move {
            if let Some(t) = token {
                let generation = t
                    .parse::<u64>()
                    .map_err(|_| SourceError::Other(format!("unknown SARIF page token {t:?}")))?;
                if self
                    .paging
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .as_ref()
                    .is_none_or(|p| p.generation != generation)
                {
                    return Err(SourceError::Other(
                        "the SARIF files were re-read while paging: polling again".into(),
                    ));
                }
                return Ok(self.next_page(generation, Vec::new()));
            }
            let read = self.read().await?;
            // Nothing could be read and something is wrong: the source is unhealthy (its
            // findings stay as they were). Broken files beside readable ones are only listed.
            if read.files_read == 0 && !read.skipped.is_empty() && read.items.is_empty() {
                let n = read.skipped.len();
                let first = read.skipped.into_iter().next().unwrap_or_default();
                return Err(SourceError::Other(if n > 1 {
                    format!("{first} (and {} more problems)", n - 1)
                } else {
                    first
                }));
            }
            let generation = self
                .generation
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                + 1;
            *self.paging.lock().unwrap_or_else(|e| e.into_inner()) = Some(Paging {
                generation,
                rest: read.items.into_iter(),
            });
            Ok(self.next_page(generation, read.skipped))
        })
    }

    fn rate_limit(&self) -> RateLimit {
        // Local files: the limiter must never be what slows a read down.
        RateLimit {
            per_sec: 10_000.0,
            burst: 10_000,
        }
    }

    fn incremental(&self) -> bool {
        false
    }

    fn poll_interval(&self) -> Option<Duration> {
        Some(self.interval)
    }

    fn changed(&self) -> BoxFuture<'_, bool> {
        let watch = self.watch.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                watch.lock().unwrap_or_else(|e| e.into_inner()).changed()
            })
            .await
            .unwrap_or(true)
        })
    }

    fn api(&self) -> Option<String> {
        Some("SARIF 2.1.0".into())
    }
}

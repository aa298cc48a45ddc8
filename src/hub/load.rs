//! Reading the store's findings after the first frame, a page at a time (see
//! [`Hub::loading`]).

use std::sync::Arc;

use super::Hub;

#[derive(Debug, Clone, Copy)]
pub(super) struct Loading {
    /// Last row read.
    pub(super) after: i64,
    pub(super) loaded: u64,
    pub(super) total: u64,
    pub(super) page: usize,
}

/// Cached findings read per step while loading (~0.15 s of work; small pages keep the
/// transient memory of parsing low).
pub(super) const LOAD_PAGE: usize = 20_000;

impl Hub {
    /// Findings read per page while loading (tests and benchmarks use small pages).
    pub fn set_load_page(&mut self, n: usize) {
        if let Some(l) = self.loading.as_mut() {
            l.page = n.max(1);
        }
    }

    /// Reads the next page of cached findings; false when the cache is all in.
    pub fn load_page(&mut self) -> bool {
        let Some(l) = self.loading.as_mut() else {
            return false;
        };
        let Some(store) = self.store.as_ref() else {
            self.loading = None;
            return false;
        };
        match store.load_findings_page(l.after, l.page) {
            Ok(page) => {
                l.loaded += page.findings.len() as u64 + page.bad as u64;
                self.skipped += page.bad as u64;
                for f in page.findings {
                    // Findings of sources no longer configured are not shown.
                    if self.known.contains(f.source.as_str()) {
                        crate::filter::warm(&f);
                        self.findings.insert(Arc::new(f));
                    }
                }
                match page.next {
                    Some(n) => l.after = n,
                    None => self.loading = None,
                }
            }
            Err(e) => {
                self.store_error = Some(e.to_string());
                self.loading = None;
            }
        }
        self.insights_stale = true;
        self.loading.is_some()
    }
}

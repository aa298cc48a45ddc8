//! The findings a snapshot holds, in chunks shared between snapshots: publishing after a
//! change to 1k of 1M findings copies the chunks touched, not a million pointers (and copying
//! an `Arc` writes to the finding's own memory, a cache miss each). The hub's side keeps an id
//! index over the slots.

use std::hash::BuildHasher;
use std::ops::Index;
use std::sync::Arc;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

use crate::model::Finding;

/// Findings by position: a snapshot's list, or a plain `Vec` (headless commands, tests).
pub trait Listing {
    fn count(&self) -> usize;
    fn at(&self, i: usize) -> &Arc<Finding>;
}

impl Listing for [Arc<Finding>] {
    fn count(&self) -> usize {
        self.len()
    }

    fn at(&self, i: usize) -> &Arc<Finding> {
        &self[i]
    }
}

impl Listing for Vec<Arc<Finding>> {
    fn count(&self) -> usize {
        self.len()
    }

    fn at(&self, i: usize) -> &Arc<Finding> {
        &self[i]
    }
}

impl Listing for FindingList {
    fn count(&self) -> usize {
        self.len
    }

    fn at(&self, i: usize) -> &Arc<Finding> {
        &self[i]
    }
}

impl<T: Listing + ?Sized> Listing for Arc<T> {
    fn count(&self) -> usize {
        (**self).count()
    }

    fn at(&self, i: usize) -> &Arc<Finding> {
        (**self).at(i)
    }
}

/// Findings per chunk: a 1k-finding change touches at most 1k chunks of 8 KB.
const CHUNK: usize = 1024;

/// An immutable list of findings, cheap to clone (see the module doc).
#[derive(Debug, Clone, Default)]
pub struct FindingList {
    chunks: Vec<Arc<Vec<Arc<Finding>>>>,
    len: usize,
}

impl FindingList {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, i: usize) -> Option<&Arc<Finding>> {
        self.chunks.get(i / CHUNK)?.get(i % CHUNK)
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Arc<Finding>> + Clone {
        self.chunks.iter().flat_map(|c| c.iter())
    }

    /// A copy as one `Vec` (for callers that need a slice; costs an `Arc` clone per finding).
    pub fn to_vec(&self) -> Vec<Arc<Finding>> {
        self.iter().cloned().collect()
    }

    fn chunk_mut(&mut self, i: usize) -> &mut Vec<Arc<Finding>> {
        Arc::make_mut(&mut self.chunks[i / CHUNK])
    }

    fn push(&mut self, f: Arc<Finding>) {
        if self.len.is_multiple_of(CHUNK) {
            self.chunks.push(Arc::new(Vec::with_capacity(CHUNK)));
        }
        let last = self.chunks.len() - 1;
        Arc::make_mut(&mut self.chunks[last]).push(f);
        self.len += 1;
    }

    fn set(&mut self, i: usize, f: Arc<Finding>) -> Arc<Finding> {
        std::mem::replace(&mut self.chunk_mut(i)[i % CHUNK], f)
    }

    /// Removes slot `i`, moving the last finding into it.
    fn swap_remove(&mut self, i: usize) -> Arc<Finding> {
        let last = self.len - 1;
        let tail = {
            let c = self.chunk_mut(last);
            c.pop().expect("last slot")
        };
        if self.chunks[last / CHUNK].is_empty() {
            self.chunks.pop();
        }
        self.len -= 1;
        if i == last { tail } else { self.set(i, tail) }
    }
}

impl Index<usize> for FindingList {
    type Output = Arc<Finding>;

    fn index(&self, i: usize) -> &Arc<Finding> {
        &self.chunks[i / CHUNK][i % CHUNK]
    }
}

impl From<Vec<Arc<Finding>>> for FindingList {
    fn from(v: Vec<Arc<Finding>>) -> FindingList {
        v.into_iter().collect()
    }
}

impl FromIterator<Arc<Finding>> for FindingList {
    fn from_iter<I: IntoIterator<Item = Arc<Finding>>>(iter: I) -> FindingList {
        let mut l = FindingList::default();
        for f in iter {
            l.push(f);
        }
        l
    }
}

impl<'a> IntoIterator for &'a FindingList {
    type Item = &'a Arc<Finding>;
    type IntoIter = Box<dyn Iterator<Item = &'a Arc<Finding>> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

/// The hub's findings by id: a [`FindingList`] and an index of slots (the ids live only in
/// the findings).
#[derive(Debug, Default)]
pub struct Held {
    list: FindingList,
    slots: HashTable<u32>,
    /// Findings per source and per cloud, kept as findings come and go.
    by_source: std::collections::HashMap<crate::model::Text, usize>,
    by_cloud: [usize; 8],
}

fn hash(id: &str) -> u64 {
    FxBuildHasher.hash_one(id)
}

impl Held {
    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The list as it is now (shares every chunk).
    pub fn list(&self) -> FindingList {
        self.list.clone()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<Finding>> {
        self.list.iter()
    }

    fn slot(&self, id: &str) -> Option<u32> {
        let list = &self.list;
        self.slots
            .find(hash(id), |&s| list[s as usize].id == id)
            .copied()
    }

    pub fn get(&self, id: &str) -> Option<&Arc<Finding>> {
        self.slot(id).map(|s| &self.list[s as usize])
    }

    pub fn contains(&self, id: &str) -> bool {
        self.slot(id).is_some()
    }

    /// Findings per source key.
    pub fn by_source(&self) -> &std::collections::HashMap<crate::model::Text, usize> {
        &self.by_source
    }

    /// Which clouds the findings come from (bit `Cloud as u8`).
    pub fn clouds(&self) -> u8 {
        (0..8)
            .filter(|&c| self.by_cloud[c] > 0)
            .fold(0, |m, c| m | 1 << c)
    }

    fn count(&mut self, f: &Finding, up: bool) {
        let n = self.by_source.entry(f.source.clone()).or_default();
        let c = &mut self.by_cloud[f.cloud as usize];
        if up {
            *n += 1;
            *c += 1;
        } else {
            *n = n.saturating_sub(1);
            *c = c.saturating_sub(1);
            if *n == 0 {
                self.by_source.remove(&f.source);
            }
        }
    }

    /// Adds `f`, replacing the finding with its id; returns that one.
    pub fn insert(&mut self, f: Arc<Finding>) -> Option<Arc<Finding>> {
        self.count(&f, true);
        if let Some(s) = self.slot(&f.id) {
            let old = self.list.set(s as usize, f);
            self.count(&old, false);
            return Some(old);
        }
        let s = self.list.len() as u32;
        let list = &self.list;
        self.slots
            .insert_unique(hash(&f.id), s, |&x| hash(&list[x as usize].id));
        self.list.push(f);
        None
    }

    pub fn remove(&mut self, id: &str) -> Option<Arc<Finding>> {
        let list = &self.list;
        let entry = self
            .slots
            .find_entry(hash(id), |&s| list[s as usize].id == id)
            .ok()?;
        let (s, _) = entry.remove();
        let last = self.list.len() as u32 - 1;
        if s != last {
            // The last finding moves into the freed slot: re-point its index entry.
            let moved = hash(&self.list[last as usize].id);
            if let Some(e) = self.slots.find_mut(moved, |&x| x == last) {
                *e = s;
            }
        }
        let old = self.list.swap_remove(s as usize);
        self.count(&old, false);
        Some(old)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::memory::sample_finding;

    #[test]
    fn index_list_and_sharing_stay_consistent() {
        let mut h = Held::default();
        for i in 0..3000 {
            assert!(h.insert(Arc::new(sample_finding(i, i as i64))).is_none());
        }
        let before = h.list();
        // Replace, remove from the middle and the end, add again.
        let mut f = sample_finding(10, 99);
        f.title = "changed".into();
        assert!(h.insert(Arc::new(f)).is_some());
        assert!(h.remove("f-000020").is_some());
        assert!(h.remove("f-002999").is_some());
        assert!(h.remove("nope").is_none());
        h.insert(Arc::new(sample_finding(5000, 1)));
        assert_eq!(h.list().len(), 2999);
        for f in h.iter() {
            assert_eq!(h.get(&f.id).map(|g| &g.id), Some(&f.id));
        }
        assert!(!h.contains("f-000020") && h.contains("f-005000"));
        assert_eq!(&*h.get("f-000010").unwrap().title, "changed");
        // The earlier list is untouched, and chunks nobody changed are shared.
        assert_eq!(before.len(), 3000);
        assert_eq!(
            &*before.iter().find(|f| f.id == "f-000010").unwrap().title,
            &*sample_finding(10, 0).title
        );
        let now = h.list();
        let shared = (0..now.chunks.len().min(before.chunks.len()))
            .filter(|&c| Arc::ptr_eq(&now.chunks[c], &before.chunks[c]))
            .count();
        assert!(shared < before.chunks.len(), "changed chunks were copied");
        // Counts follow inserts, replacements and removals.
        assert_eq!(h.by_source().values().sum::<usize>(), 2999);
        let ids: Vec<String> = h.iter().map(|f| f.id.clone()).collect();
        for id in &ids[..2000] {
            h.remove(id);
        }
        assert!(h.iter().all(|f| h.get(&f.id).is_some_and(|g| g.id == f.id)));
        assert_eq!(h.list().len(), 999);
        assert_eq!(h.by_source().values().sum::<usize>(), 999);
        let v: FindingList = h.iter().cloned().collect();
        assert_eq!(v[v.len() - 1].id, h.list()[998].id);
    }
}

//! Shared, immutable text for the fields that repeat across findings (a control's title,
//! description and remediation; product ARNs; standards). Interned, 100k findings of a few
//! hundred controls hold each such string once.

use std::collections::HashSet;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, Mutex, OnceLock};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Eq, Default)]
pub struct Text(Arc<str>);

// Hashes the content, as `str` does, so `Borrow<str>` lookups agree with `Eq`.
impl std::hash::Hash for Text {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        (*self.0).hash(h)
    }
}

// Interned copies of equal strings share one allocation: compare the pointer first.
impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl Ord for Text {
    fn cmp(&self, other: &Text) -> std::cmp::Ordering {
        if Arc::ptr_eq(&self.0, &other.0) {
            std::cmp::Ordering::Equal
        } else {
            self.0.cmp(&other.0)
        }
    }
}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Text) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Text {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Text {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        intern(s)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        intern(&s)
    }
}

impl From<&String> for Text {
    fn from(s: &String) -> Text {
        intern(s)
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Ok(intern(&s))
    }
}

struct Pool {
    set: HashSet<Arc<str>>,
    /// Prune entries nobody else holds when the pool doubles.
    prune_at: usize,
}

fn pool() -> &'static Mutex<Pool> {
    static POOL: OnceLock<Mutex<Pool>> = OnceLock::new();
    POOL.get_or_init(|| {
        Mutex::new(Pool {
            set: HashSet::new(),
            prune_at: 4096,
        })
    })
}

/// The shared copy of `s`. Strings no finding uses any more are dropped as the pool grows,
/// so a long-running console does not keep every title it ever saw.
pub fn intern(s: &str) -> Text {
    if s.is_empty() {
        static EMPTY: OnceLock<Arc<str>> = OnceLock::new();
        return Text(EMPTY.get_or_init(|| Arc::from("")).clone());
    }
    let mut p = pool().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(a) = p.set.get(s) {
        return Text(a.clone());
    }
    if p.set.len() >= p.prune_at {
        p.set.retain(|a| Arc::strong_count(a) > 1);
        p.prune_at = (p.set.len() * 2).max(4096);
    }
    let a: Arc<str> = Arc::from(s);
    p.set.insert(a.clone());
    Text(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_strings_share_one_allocation() {
        let a = intern("S3.8 S3 general purpose buckets should block public access");
        let b: Text =
            String::from("S3.8 S3 general purpose buckets should block public access").into();
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert_eq!(
            a,
            "S3.8 S3 general purpose buckets should block public access"
        );
        let json = serde_json::to_string(&a).unwrap();
        let c: Text = serde_json::from_str(&json).unwrap();
        assert!(Arc::ptr_eq(&a.0, &c.0));
    }

    #[test]
    fn unused_strings_are_pruned() {
        for i in 0..10_000 {
            drop(intern(&format!("transient {i}")));
        }
        let kept = intern("kept");
        let n = pool().lock().unwrap().set.len();
        assert!(n < 9_000, "pool pruned, has {n}");
        assert_eq!(intern("kept").as_ptr(), kept.as_ptr());
    }
}

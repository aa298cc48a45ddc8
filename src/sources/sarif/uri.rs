//! Artifact locations → display paths (SARIF 2.1.0 §3.4.4, §3.14.14): `index` references into
//! `run.artifacts`, `uriBaseId` chains through `run.originalUriBaseIds`, the repository a file
//! belongs to (`versionControlProvenance[].mappedTo`), and paths relative to the repository
//! root. A URI that cannot be resolved keeps its relative form.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::parse::{ArtifactLocation, Run};

/// Base-id chains longer than this are treated as cycles.
const MAX_CHAIN: usize = 16;

pub struct Resolver<'r, 'a> {
    run: &'r Run<'a>,
    /// Absolute roots (with a trailing `/`): every base id and working directory that
    /// resolves to one. A path is shown relative to the outermost root that contains it.
    roots: Vec<String>,
    /// Roots of `versionControlProvenance` entries that say where they are mapped, with the
    /// entry's index; the longest match names the repository of a file.
    vcs_roots: Vec<(String, usize)>,
    /// Local directory → its git checkout root (for absolute paths no base explains).
    git_roots: HashMap<PathBuf, Option<PathBuf>>,
    local_roots: bool,
}

/// Where a result is, for ids and display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Relative to the repository root when it lies under one; `file://` stripped and
    /// percent-decoded.
    pub path: String,
    /// The `versionControlProvenance` entry the file belongs to.
    pub vcs: Option<usize>,
}

fn has_scheme(uri: &str) -> bool {
    // RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" — and longer than a drive letter.
    match uri.find(':') {
        Some(i) if i >= 2 => {
            let s = &uri[..i];
            s.as_bytes()[0].is_ascii_alphabetic()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        }
        _ => false,
    }
}

fn join(base: &str, rel: &str) -> String {
    if let Some(rest) = rel.strip_prefix('/') {
        // An absolute path reference keeps only the base's scheme and authority.
        if let Some(after) = base.strip_prefix("file://") {
            let authority = after.split('/').next().unwrap_or("");
            return format!("file://{authority}/{rest}");
        }
        return rel.to_string();
    }
    let mut out = String::with_capacity(base.len() + rel.len() + 1);
    out.push_str(base);
    if !base.is_empty() && !base.ends_with('/') {
        out.push('/');
    }
    out.push_str(rel);
    out
}

fn with_slash(mut s: String) -> String {
    if !s.ends_with('/') {
        s.push('/');
    }
    s
}

/// `file:///a/b` → `/a/b`, `file://host/a` → `//host/a`, `file:/a` → `/a`.
fn strip_file_scheme(uri: &str) -> Option<&str> {
    let rest = uri
        .strip_prefix("file:")
        .or_else(|| uri.strip_prefix("FILE:"))?;
    Some(match rest.strip_prefix("//") {
        Some(r) if r.starts_with('/') => r,
        Some(_) => &rest[0..], // keep `//host/…`
        None => rest,
    })
}

/// Percent-decodes a path. Escapes of control characters (and invalid UTF-8) stay encoded:
/// a file name is shown, never interpreted.
pub fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            let v = h * 16 + l;
            if v >= 0x20 && v != 0x7f {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

impl<'r, 'a> Resolver<'r, 'a> {
    pub fn new(run: &'r Run<'a>, local_roots: bool) -> Self {
        let mut r = Resolver {
            run,
            roots: Vec::new(),
            vcs_roots: Vec::new(),
            git_roots: HashMap::new(),
            local_roots,
        };
        let mut roots: Vec<String> = run
            .original_uri_base_ids
            .values()
            .filter_map(|l| r.absolute(l, 0).ok())
            .chain(
                run.invocations
                    .iter()
                    .filter_map(|i| i.working_directory.as_ref())
                    .filter_map(|l| r.absolute(l, 0).ok()),
            )
            .map(with_slash)
            .collect();
        roots.sort_by_key(|s| s.len());
        roots.dedup();
        r.roots = roots;
        r.vcs_roots = run
            .version_control_provenance
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                let m = v.mapped_to.as_ref()?;
                Some((with_slash(r.absolute(m, 0).ok()?), i))
            })
            .collect();
        r
    }

    /// `uri` and `uriBaseId`, with an `index` reference filled in from `run.artifacts`.
    fn parts<'x>(&'x self, loc: &'x ArtifactLocation<'_>) -> (&'x str, Option<&'x str>) {
        if loc.uri.is_none()
            && let Some(a) = loc
                .index
                .and_then(|i| usize::try_from(i).ok())
                .and_then(|i| self.run.artifacts.get(i))
                .and_then(|a| a.location.as_ref())
        {
            let base = loc.uri_base_id.as_deref().or(a.uri_base_id.as_deref());
            return (a.uri.as_deref().unwrap_or(""), base);
        }
        (loc.uri.as_deref().unwrap_or(""), loc.uri_base_id.as_deref())
    }

    /// The absolute URI of a location, or (Err) the most complete relative form.
    fn absolute(&self, loc: &ArtifactLocation<'_>, depth: usize) -> Result<String, String> {
        let (uri, base_id) = self.parts(loc);
        if has_scheme(uri) {
            return Ok(uri.to_string());
        }
        let Some(base_id) = base_id else {
            return Err(uri.to_string());
        };
        if depth >= MAX_CHAIN {
            return Err(uri.to_string());
        }
        let Some(base) = self.run.original_uri_base_ids.get(base_id) else {
            return Err(uri.to_string());
        };
        if base.uri.is_none() {
            return Err(uri.to_string());
        }
        match self.absolute(base, depth + 1) {
            Ok(b) => Ok(join(&with_slash(b), uri)),
            Err(b) if b.is_empty() => Err(uri.to_string()),
            Err(b) => Err(join(&with_slash(b), uri)),
        }
    }

    /// Resolves a result's artifact location for display.
    pub fn resolve(&mut self, loc: &ArtifactLocation<'_>) -> Resolved {
        let abs = match self.absolute(loc, 0) {
            Ok(a) => a,
            Err(rel) => {
                return Resolved {
                    path: percent_decode(&rel),
                    vcs: None,
                };
            }
        };
        if let Some((root, i)) = self
            .vcs_roots
            .iter()
            .filter(|(r, _)| abs.starts_with(r.as_str()))
            .max_by_key(|(r, _)| r.len())
        {
            return Resolved {
                path: percent_decode(&abs[root.len()..]),
                vcs: Some(*i),
            };
        }
        if let Some(root) = self.roots.iter().find(|r| abs.starts_with(r.as_str())) {
            return Resolved {
                path: percent_decode(&abs[root.len()..]),
                vcs: None,
            };
        }
        let Some(local) = strip_file_scheme(&abs) else {
            return Resolved {
                path: abs,
                vcs: None,
            };
        };
        let path = percent_decode(local);
        let path = if self.local_roots {
            self.relative_to_checkout(path)
        } else {
            path
        };
        Resolved { path, vcs: None }
    }

    /// `/home/me/src/api/app/x.py` → `app/x.py` when `/home/me/src/api` is a git checkout on
    /// this machine (a scanner run locally writes absolute paths).
    fn relative_to_checkout(&mut self, path: String) -> String {
        let p = Path::new(&path);
        let Some(dir) = p.parent() else {
            return path;
        };
        if !p.is_absolute() {
            return path;
        }
        let root = match self.git_roots.get(dir) {
            Some(r) => r.clone(),
            None => {
                let r = dir
                    .ancestors()
                    .take(64)
                    .find(|a| a.join(".git").exists())
                    .map(Path::to_path_buf);
                self.git_roots.insert(dir.to_path_buf(), r.clone());
                r
            }
        };
        match root.and_then(|r| {
            p.strip_prefix(r)
                .ok()
                .map(|s| s.to_string_lossy().into_owned())
        }) {
            Some(rel) if !rel.is_empty() => rel,
            _ => path,
        }
    }
}

/// `https://github.com/acme/api.git` → `acme/api`; `git@host:acme/api.git` → `acme/api`;
/// anything else is kept.
pub fn repo_name(uri: &str) -> String {
    let u = uri.trim();
    let path = if let Some(i) = u.find("://") {
        let rest = &u[i + 3..];
        rest.split_once('/').map_or("", |(_, p)| p)
    } else if let Some((host, p)) = u.split_once(':')
        && host.contains('@')
    {
        p
    } else {
        u
    };
    let path = path.split(['?', '#']).next().unwrap_or("");
    let path = path.trim_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    if path.is_empty() {
        u.to_string()
    } else {
        path.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_names() {
        assert_eq!(repo_name("https://github.com/acme/api"), "acme/api");
        assert_eq!(
            repo_name("https://github.com/acme/shared-lib.git"),
            "acme/shared-lib"
        );
        assert_eq!(repo_name("git@github.com:acme/api.git"), "acme/api");
        assert_eq!(repo_name("https://gitlab.com/g/sub/repo/"), "g/sub/repo");
        assert_eq!(repo_name("weird"), "weird");
    }

    #[test]
    fn decoding_keeps_control_escapes() {
        assert_eq!(percent_decode("deploy%20prod.py"), "deploy prod.py");
        assert_eq!(percent_decode("src/%1B%5B2Jevil.py"), "src/%1B[2Jevil.py");
        assert_eq!(percent_decode("bad%zz%"), "bad%zz%");
        assert_eq!(percent_decode("%FF"), "%FF");
        assert!(has_scheme("file:///x") && !has_scheme("C:/x") && !has_scheme("a/b:c"));
        assert_eq!(strip_file_scheme("file:///etc/x"), Some("/etc/x"));
        assert_eq!(join("file:///a/", "/etc/p"), "file:///etc/p");
    }
}

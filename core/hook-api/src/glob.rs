//! A small absolute-path glob (`*`, `?`, `[...]`, no `**`) for `HostView::glob`: component by
//! component, a leading dot matched only literally, results sorted bytewise.

use crate::host::GLOB_LIMIT;
use std::path::PathBuf;

/// Whether `name` matches one glob component `pat`.
pub fn component_matches(pat: &str, name: &str) -> bool {
    if name.starts_with('.') && !pat.starts_with('.') {
        return false;
    }
    matches(pat.as_bytes(), name.as_bytes())
}

fn matches(p: &[u8], n: &[u8]) -> bool {
    match p.first() {
        None => n.is_empty(),
        Some(b'*') => (0..=n.len()).any(|i| matches(&p[1..], &n[i..])),
        Some(b'?') => !n.is_empty() && matches(&p[1..], &n[1..]),
        Some(b'[') => {
            let Some(end) = p.iter().skip(2).position(|&c| c == b']').map(|i| i + 2) else {
                return n.first() == Some(&b'[') && matches(&p[1..], &n[1..]);
            };
            let Some(&c) = n.first() else { return false };
            let mut set = &p[1..end];
            let negate = matches!(set.first(), Some(b'!') | Some(b'^'));
            if negate {
                set = &set[1..];
            }
            let mut hit = false;
            let mut i = 0;
            while i < set.len() {
                if i + 2 < set.len() && set[i + 1] == b'-' {
                    hit |= set[i] <= c && c <= set[i + 2];
                    i += 3;
                } else {
                    hit |= set[i] == c;
                    i += 1;
                }
            }
            hit != negate && matches(&p[end + 1..], &n[1..])
        }
        Some(&c) => n.first() == Some(&c) && matches(&p[1..], &n[1..]),
    }
}

fn is_pattern(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Expands an absolute pattern against the real filesystem.
pub fn glob(pattern: &str) -> Result<Vec<String>, String> {
    if !pattern.starts_with('/') {
        return Err(format!("glob pattern {pattern:?} is not absolute"));
    }
    if pattern.contains("**") {
        return Err(format!("glob pattern {pattern:?}: ** is not supported"));
    }
    let mut current = vec![PathBuf::from("/")];
    for comp in pattern.split('/').filter(|c| !c.is_empty()) {
        let mut next = Vec::new();
        for base in &current {
            if !is_pattern(comp) {
                let p = base.join(comp);
                if p.symlink_metadata().is_ok() {
                    next.push(p);
                }
                continue;
            }
            let Ok(rd) = std::fs::read_dir(base) else {
                continue;
            };
            let mut names: Vec<String> = rd
                .filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| component_matches(comp, n))
                .collect();
            names.sort();
            next.extend(names.into_iter().map(|n| base.join(n)));
            if next.len() > GLOB_LIMIT {
                return Err(format!(
                    "glob pattern {pattern:?} matches more than 4096 paths"
                ));
            }
        }
        current = next;
    }
    let mut out: Vec<String> = current
        .into_iter()
        .filter(|p| p.exists())
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    out.sort();
    if out.len() > GLOB_LIMIT {
        return Err(format!(
            "glob pattern {pattern:?} matches more than 4096 paths"
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_rules() {
        assert!(component_matches("nvidia*", "nvidia0"));
        assert!(component_matches("nvidia[0-9]", "nvidia7"));
        assert!(!component_matches("nvidia[!0-9]", "nvidia7"));
        assert!(component_matches("libnvidia-*.so.*", "libnvidia-ml.so.1"));
        assert!(!component_matches("*", ".hidden"));
        assert!(component_matches(".h*", ".hidden"));
        assert!(component_matches("a?c", "abc"));
    }

    #[test]
    fn glob_is_sorted_and_absolute_only() {
        let d = tempfile::tempdir().unwrap();
        for n in ["b2", "a1", ".x"] {
            std::fs::write(d.path().join(n), "").unwrap();
        }
        let got = glob(&format!("{}/*", d.path().display())).unwrap();
        let names: Vec<_> = got.iter().map(|p| p.rsplit('/').next().unwrap()).collect();
        assert_eq!(names, ["a1", "b2"]);
        assert!(glob("rel/*").is_err());
        assert!(glob("/a/**/b").is_err());
        assert!(
            glob(&format!("{}/zz*", d.path().display()))
                .unwrap()
                .is_empty()
        );
    }
}

//! The staging root that layers are applied to, and path resolution confined to it.
//!
//! Every directory component of a layer entry is resolved here, one at a time, with `lstat`:
//! symlinks met on the way are followed as the container would see them, but a relative target
//! that climbs above the root (`..`) and any absolute target are refused — the rule
//! that "absolute link targets used as write paths" are refused, not re-rooted as umoci's
//! securejoin does. The final component is never followed (tar semantics replace it).

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Component, Path, PathBuf};

/// Why a path could not be resolved inside the root.
#[derive(Debug)]
pub enum ResolveError {
    /// A `..` above the root, or an absolute symlink used as a directory.
    Escape(String),
    /// A component is an existing non-directory.
    NotDir(PathBuf),
    /// More than 40 symlinks.
    Loop,
    /// A component does not exist and `create` was false.
    Missing,
    Io(PathBuf, io::Error),
}

/// Splits an archive entry name into clean components: leading `/` and `./` dropped; `None`
/// when a component is `..` (refused, never clamped).
pub fn clean(name: &OsStr) -> Option<Vec<OsString>> {
    let mut out = Vec::new();
    for c in Path::new(name).components() {
        match c {
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
            Component::ParentDir => return None,
            Component::Normal(n) => out.push(n.to_os_string()),
        }
    }
    Some(out)
}

/// Makes a directory sifter created 0755, whatever the process umask (implicit parents, the
/// root itself, `/.singularity.d`), as umoci does.
pub fn set_dir_mode(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))
}

/// A staging directory that layers are unpacked into.
#[derive(Debug)]
pub struct Root {
    path: PathBuf,
}

impl Root {
    pub fn new(path: &Path) -> Root {
        Root {
            path: path.to_path_buf(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The host path of a resolved, symlink-free relative path.
    pub fn host(&self, rel: &Path) -> PathBuf {
        self.path.join(rel)
    }

    /// Resolves directory components to a symlink-free path relative to the root, creating
    /// missing directories (mode 0755, reported through `created`) when `create` is true.
    pub fn resolve_dir(
        &self,
        comps: &[OsString],
        create: bool,
        created: &mut dyn FnMut(&Path),
    ) -> Result<PathBuf, ResolveError> {
        let mut stack = PathBuf::new();
        let mut pending: VecDeque<OsString> = comps.iter().cloned().collect();
        let mut hops = 0;
        // The last symlink followed, for the message when its target climbs out.
        let mut via: Option<(PathBuf, PathBuf)> = None;
        while let Some(c) = pending.pop_front() {
            if c == "." {
                continue;
            }
            if c == ".." {
                if !stack.pop() {
                    return Err(ResolveError::Escape(match &via {
                        Some((link, target)) => format!(
                            "it writes through symlink {link:?} whose target {target:?} climbs out of the root filesystem"
                        ),
                        None => "a \"..\" climbs out of the root filesystem".to_string(),
                    }));
                }
                continue;
            }
            let rel = stack.join(&c);
            let host = self.host(&rel);
            match fs::symlink_metadata(&host) {
                Ok(m) if m.is_dir() => stack = rel,
                Ok(m) if m.file_type().is_symlink() => {
                    hops += 1;
                    if hops > 40 {
                        return Err(ResolveError::Loop);
                    }
                    let target = fs::read_link(&host).map_err(|e| ResolveError::Io(host, e))?;
                    if target.is_absolute() {
                        return Err(ResolveError::Escape(format!(
                            "it writes through symlink {rel:?} whose target {target:?} is absolute (outside the root filesystem while unpacking)"
                        )));
                    }
                    via = Some((rel.clone(), target.clone()));
                    for t in target.components().rev() {
                        match t {
                            Component::ParentDir => pending.push_front("..".into()),
                            Component::Normal(n) => pending.push_front(n.to_os_string()),
                            _ => {}
                        }
                    }
                }
                Ok(_) => return Err(ResolveError::NotDir(rel)),
                Err(e) if e.kind() == io::ErrorKind::NotFound && !create => {
                    return Err(ResolveError::Missing);
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    fs::DirBuilder::new()
                        .mode(0o755)
                        .create(&host)
                        .and_then(|()| set_dir_mode(&host))
                        .map_err(|e| ResolveError::Io(host.clone(), e))?;
                    created(&rel);
                    stack = rel;
                }
                Err(e) => return Err(ResolveError::Io(host, e)),
            }
        }
        Ok(stack)
    }

    /// Removes whatever is at `rel` (a directory recursively, never following symlinks);
    /// nothing there is fine.
    pub fn remove(&self, rel: &Path) -> io::Result<()> {
        let host = self.host(rel);
        match fs::symlink_metadata(&host) {
            Ok(m) if m.is_dir() => fs::remove_dir_all(&host),
            Ok(_) => fs::remove_file(&host),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn os(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn clean_strips_and_refuses() {
        assert_eq!(clean(OsStr::new("./a//b/")), Some(os(&["a", "b"])));
        assert_eq!(
            clean(OsStr::new("/etc/passwd")),
            Some(os(&["etc", "passwd"]))
        );
        assert_eq!(clean(OsStr::new("../../etc/passwd")), None);
        assert_eq!(clean(OsStr::new("a/../b")), None);
    }

    #[test]
    fn follows_relative_links_inside_and_refuses_escapes() {
        let t = tempfile::tempdir().unwrap();
        let r = Root::new(t.path());
        fs::create_dir_all(t.path().join("usr/bin")).unwrap();
        symlink("usr/bin", t.path().join("bin")).unwrap();
        symlink("../../..", t.path().join("usr/up")).unwrap();
        symlink("/etc", t.path().join("abs")).unwrap();
        let mut made = Vec::new();
        let got = r
            .resolve_dir(&os(&["bin", "x"]), true, &mut |p| {
                made.push(p.to_path_buf())
            })
            .unwrap();
        assert_eq!(got, Path::new("usr/bin/x"));
        assert_eq!(made, vec![PathBuf::from("usr/bin/x")]);
        assert!(matches!(
            r.resolve_dir(&os(&["usr", "up", "etc"]), true, &mut |_| {}),
            Err(ResolveError::Escape(_))
        ));
        assert!(matches!(
            r.resolve_dir(&os(&["abs"]), true, &mut |_| {}),
            Err(ResolveError::Escape(_))
        ));
        fs::write(t.path().join("file"), b"").unwrap();
        assert!(matches!(
            r.resolve_dir(&os(&["file", "x"]), true, &mut |_| {}),
            Err(ResolveError::NotDir(_))
        ));
        symlink("loop", t.path().join("loop")).unwrap();
        assert!(matches!(
            r.resolve_dir(&os(&["loop"]), true, &mut |_| {}),
            Err(ResolveError::Loop)
        ));
        assert!(matches!(
            r.resolve_dir(&os(&["nope"]), false, &mut |_| {}),
            Err(ResolveError::Missing)
        ));
        assert!(!t.path().join("nope").exists());
    }
}

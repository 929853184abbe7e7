//! Applies one layer tar to the staging root with OCI semantics (image-spec `layer.md`):
//! entries in order, whiteouts `.wh.NAME` and opaque directories `.wh..wh..opq` hiding only
//! what lower layers made, hard links, symlinks (stored, never followed for the entry's own
//! name), device nodes, fifos, ownership, modes, mtimes and xattrs (`meta.rs`).
//!
//! Entry names with `..` and writes through symlinks that leave the root are refused
//! (`root.rs`). Directory mtimes are applied after the last layer (`Applier::finish`), since
//! later entries change them.

use std::collections::{BTreeMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use tar::EntryType;

use super::error::{ImportError, Result};
use super::meta::{self, Meta};
use super::root::{ResolveError, Root, clean};

const WH: &str = ".wh.";
const OPAQUE: &str = ".wh..wh..opq";

/// State kept across the layers of one image.
pub struct Applier {
    root: Root,
    is_root: bool,
    /// Directory mtimes to set at the end: from the last header, or `None` for directories
    /// sifter made (implicit parents), which get the newest mtime of the image.
    dir_times: BTreeMap<PathBuf, Option<(i64, u32)>>,
    /// The newest mtime of any entry, so what sifter adds is as reproducible as the layers.
    newest: i64,
}

/// What one layer's application has made (whiteouts must not hide it).
struct LayerState<'a> {
    name: &'a str,
    created: HashSet<PathBuf>,
    implicit: Vec<PathBuf>,
}

impl Applier {
    pub fn new(root: &Path) -> Applier {
        Applier {
            root: Root::new(root),
            is_root: nix::unistd::geteuid().is_root(),
            dir_times: BTreeMap::new(),
            newest: 0,
        }
    }

    /// Applies every entry of the uncompressed tar `tar`; `on_entry` is called after each
    /// entry and every MiB of a large file, and stops the layer with its error (an
    /// interruption).
    pub fn apply(
        &mut self,
        layer: &str,
        tar: impl Read,
        on_entry: &mut dyn FnMut() -> Result<()>,
    ) -> Result<()> {
        let mut st = LayerState {
            name: layer,
            created: HashSet::new(),
            implicit: Vec::new(),
        };
        let mut archive = tar::Archive::new(tar);
        let read_err = |source| ImportError::LayerRead {
            layer: layer.to_string(),
            source,
        };
        for entry in archive.entries().map_err(read_err)? {
            let mut entry = entry.map_err(read_err)?;
            let name = OsString::from(OsStr::from_bytes(&entry.path_bytes()));
            let meta = Meta::from_entry(&mut entry).map_err(read_err)?;
            self.entry(&mut st, &name, &mut entry, &meta, on_entry)?;
            on_entry()?;
        }
        for p in st.implicit {
            self.dir_times.entry(p).or_insert(None);
        }
        Ok(())
    }

    /// The newest mtime of the entries applied so far.
    pub fn newest(&self) -> i64 {
        self.newest
    }

    /// Records a directory made after the layers, so `finish` sets its mtime too.
    pub fn add_dir(&mut self, rel: &Path) {
        self.dir_times.entry(rel.to_path_buf()).or_insert(None);
    }

    /// Sets the directory mtimes recorded while applying (after the last layer), the root's
    /// included.
    pub fn finish(&mut self) -> Result<()> {
        self.add_dir(Path::new(""));
        for (rel, time) in &self.dir_times {
            let (secs, nanos) = time.unwrap_or((self.newest, 0));
            let host = self.root.host(rel);
            if fs::symlink_metadata(&host).is_ok_and(|m| m.is_dir()) {
                meta::set_times(&host, secs, nanos).map_err(|source| ImportError::WriteFile {
                    path: host.clone(),
                    source,
                })?;
            }
        }
        Ok(())
    }

    fn entry(
        &mut self,
        st: &mut LayerState,
        name: &OsStr,
        data: &mut dyn Read,
        m: &Meta,
        on_entry: &mut dyn FnMut() -> Result<()>,
    ) -> Result<()> {
        let shown = name.to_string_lossy().into_owned();
        let lname = st.name.to_string();
        let escape = || ImportError::Escape {
            layer: lname.clone(),
            entry: shown.clone(),
        };
        let fail = |reason: String| ImportError::Entry {
            layer: lname.clone(),
            entry: shown.clone(),
            reason,
        };
        let comps = clean(name).ok_or_else(escape)?;
        if matches!(m.kind, EntryType::XGlobalHeader | EntryType::XHeader) {
            return Ok(());
        }
        let Some((last, parents)) = comps.split_last() else {
            // The root directory itself ("./").
            if m.kind.is_dir() {
                self.set_meta(st, Path::new(""), &shown, m)?;
            }
            return Ok(());
        };
        let last_str = last.to_string_lossy();
        let is_whiteout = last_str.starts_with(WH);
        let parent = match self.resolve(st, parents, &shown, !is_whiteout) {
            Ok(p) => p,
            Err(None) => return Ok(()), // a whiteout under a directory that is not there
            Err(Some(e)) => return Err(e),
        };
        if last_str == OPAQUE {
            return self
                .opaque(st, &parent)
                .map_err(|e| self.write_err(st, &shown, &parent, e));
        }
        if is_whiteout {
            if last_str.starts_with(".wh..wh.") {
                return Ok(()); // aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs): not content
            }
            let target = OsStr::from_bytes(&last.as_bytes()[WH.len()..]);
            if target.is_empty() || target == "." || target == ".." {
                return Err(escape()); // `.wh..` would hide the parent, `.wh...` its parent
            }
            let hidden = parent.join(target);
            if !st.created.contains(&hidden) {
                self.root
                    .remove(&hidden)
                    .map_err(|e| self.write_err(st, &shown, &hidden, e))?;
            }
            return Ok(());
        }
        let rel = parent.join(last);
        let host = self.root.host(&rel);
        let werr = |source: io::Error| ImportError::Write {
            layer: lname.clone(),
            entry: shown.clone(),
            path: host.clone(),
            source,
        };
        let existing = fs::symlink_metadata(&host).ok();
        let keep_dir = m.kind.is_dir() && existing.as_ref().is_some_and(|e| e.is_dir());
        if existing.is_some() && !keep_dir {
            if m.kind.is_hard_link() && self.link_source(st, m, &shown)? == rel {
                return Ok(());
            }
            self.root.remove(&rel).map_err(werr)?;
        }
        match m.kind {
            EntryType::Directory => {
                if !keep_dir {
                    fs::DirBuilder::new()
                        .mode(0o700)
                        .create(&host)
                        .map_err(werr)?;
                }
            }
            EntryType::Regular | EntryType::Continuous => {
                let mut f = fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .custom_flags(libc::O_NOFOLLOW)
                    .open(&host)
                    .map_err(werr)?;
                // In 1 MiB steps, so progress and interruptions are seen inside big files.
                loop {
                    let n = io::copy(&mut data.take(1 << 20), &mut f).map_err(|source| {
                        ImportError::LayerRead {
                            layer: lname.clone(),
                            source,
                        }
                    })?;
                    if n == 0 {
                        break;
                    }
                    on_entry()?;
                }
            }
            EntryType::Symlink => {
                let target = m
                    .link
                    .as_ref()
                    .ok_or_else(|| fail("symlink without a target".into()))?;
                std::os::unix::fs::symlink(target, &host).map_err(werr)?;
            }
            EntryType::Link => {
                let src = self.link_source(st, m, &shown)?;
                let src_host = self.root.host(&src);
                match fs::symlink_metadata(&src_host) {
                    Ok(s) if !s.is_dir() => {}
                    _ => {
                        return Err(fail(format!(
                            "hard link target {:?} is not an earlier file",
                            src
                        )));
                    }
                }
                fs::hard_link(&src_host, &host).map_err(werr)?;
                st.created.insert(rel);
                return Ok(()); // a hard link shares its target's inode and metadata
            }
            EntryType::Char | EntryType::Block | EntryType::Fifo => {
                meta::mknod(&host, m).map_err(werr)?;
            }
            other => return Err(fail(format!("unsupported tar entry type {other:?}"))),
        }
        st.created.insert(rel.clone());
        self.set_meta(st, &rel, &shown, m)
    }

    fn set_meta(&mut self, st: &LayerState, rel: &Path, shown: &str, m: &Meta) -> Result<()> {
        let host = self.root.host(rel);
        meta::apply(&host, m, self.is_root).map_err(|e| self.write_err(st, shown, rel, e))?;
        if m.kind.is_dir() {
            self.dir_times.insert(rel.to_path_buf(), Some(m.mtime));
        }
        self.newest = self.newest.max(m.mtime.0);
        Ok(())
    }

    /// The resolved path a hard link entry points at.
    fn link_source(&self, st: &mut LayerState, m: &Meta, shown: &str) -> Result<PathBuf> {
        let target = m.link.as_ref().ok_or_else(|| ImportError::Entry {
            layer: st.name.to_string(),
            entry: shown.to_string(),
            reason: "hard link without a target".into(),
        })?;
        let comps = clean(target.as_os_str()).ok_or_else(|| ImportError::Escape {
            layer: st.name.to_string(),
            entry: format!("{shown} -> {}", target.display()),
        })?;
        let Some((last, parents)) = comps.split_last() else {
            return Err(ImportError::Entry {
                layer: st.name.to_string(),
                entry: shown.to_string(),
                reason: "hard link to the root directory".into(),
            });
        };
        let parent = self
            .resolve(st, parents, shown, true)
            .map_err(|e| e.expect("created"))?;
        Ok(parent.join(last))
    }

    /// Resolves an entry's parent directories; `Err(None)` when one is missing and `create`
    /// is false.
    fn resolve(
        &self,
        st: &mut LayerState,
        parents: &[OsString],
        shown: &str,
        create: bool,
    ) -> std::result::Result<PathBuf, Option<ImportError>> {
        let (created, implicit) = (&mut st.created, &mut st.implicit);
        self.root
            .resolve_dir(parents, create, &mut |p| {
                created.insert(p.to_path_buf());
                implicit.push(p.to_path_buf());
            })
            .map_err(|e| {
                Some(match e {
                    ResolveError::Missing => return None,
                    ResolveError::Escape(reason) => ImportError::Entry {
                        layer: st.name.to_string(),
                        entry: shown.to_string(),
                        reason: format!("refused: {reason}"),
                    },
                    ResolveError::NotDir(p) => ImportError::Entry {
                        layer: st.name.to_string(),
                        entry: shown.to_string(),
                        reason: format!("{:?} is not a directory", p),
                    },
                    ResolveError::Loop => ImportError::Entry {
                        layer: st.name.to_string(),
                        entry: shown.to_string(),
                        reason: "too many levels of symbolic links".into(),
                    },
                    ResolveError::Io(path, source) => ImportError::Write {
                        layer: st.name.to_string(),
                        entry: shown.to_string(),
                        path,
                        source,
                    },
                })
            })
    }

    /// Hides everything under `dir` that lower layers made; keeps this layer's entries.
    fn opaque(&self, st: &LayerState, dir: &Path) -> io::Result<()> {
        let mut children: Vec<_> = fs::read_dir(self.root.host(dir))?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<io::Result<_>>()?;
        children.sort();
        for c in children {
            let rel = dir.join(&c);
            if !st.created.contains(&rel) {
                self.root.remove(&rel)?;
            } else if fs::symlink_metadata(self.root.host(&rel))?.is_dir() {
                self.opaque(st, &rel)?;
            }
        }
        Ok(())
    }

    fn write_err(
        &self,
        st: &LayerState,
        shown: &str,
        rel: &Path,
        source: io::Error,
    ) -> ImportError {
        ImportError::Write {
            layer: st.name.to_string(),
            entry: shown.to_string(),
            path: self.root.host(rel),
            source,
        }
    }
}

#[cfg(test)]
#[path = "layer_tests.rs"]
mod tests;

//! Where blobs are read from: an OCI layout directory, or a tar (an `oci-archive` or a
//! `docker save` archive) indexed once so each member is read in place by offset, never
//! extracted to disk. Also the `docker save` `manifest.json` format.
//!
//! Member names come from the archive and are only used as map keys here; nothing is written
//! under them.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::error::{ImportError, Result};

/// JSON documents (index, manifests, configs) larger than this are refused.
pub const JSON_LIMIT: u64 = 64 << 20;

/// A readable set of named members.
#[derive(Debug)]
pub enum Store {
    Dir(PathBuf),
    Tar {
        file: PathBuf,
        /// name → (offset of the data in the tar, size)
        members: BTreeMap<String, (u64, u64)>,
    },
}

/// Strips `./` and leading `/` from a member name and collapses `//`; `None` for `..`.
fn normalise(name: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for c in name.split('/') {
        match c {
            "" | "." => {}
            ".." => return None,
            c => parts.push(c),
        }
    }
    Some(parts.join("/"))
}

/// Resolves a link `target` found in member `name` (relative to its directory, or absolute
/// from the archive root).
fn link_target(name: &str, target: &str, hard: bool) -> Option<String> {
    if hard || target.starts_with('/') {
        return normalise(target);
    }
    let dir = name.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let mut parts: Vec<&str> = dir.split('/').filter(|c| !c.is_empty()).collect();
    for c in target.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    Some(parts.join("/"))
}

impl Store {
    /// Indexes the members of the tar `file` (one pass, seeking over the data).
    pub fn open_tar(file: &Path) -> Result<Store> {
        let err = |what: &str, source| ImportError::Archive {
            archive: file.to_path_buf(),
            what: what.to_string(),
            source,
        };
        let f = File::open(file).map_err(|source| ImportError::Read {
            path: file.to_path_buf(),
            source,
        })?;
        let mut archive = tar::Archive::new(f);
        let mut members = BTreeMap::new();
        let mut links: Vec<(String, String)> = Vec::new();
        let entries = archive
            .entries_with_seek()
            .map_err(|e| err("the tar headers", e))?;
        for entry in entries {
            let entry = entry.map_err(|e| err("the tar headers", e))?;
            let raw = entry.path_bytes();
            let name = String::from_utf8_lossy(&raw).into_owned();
            let Some(key) = normalise(&name) else {
                continue;
            };
            let kind = entry.header().entry_type();
            if kind.is_file() {
                members.insert(key, (entry.raw_file_position(), entry.size()));
            } else if kind.is_symlink() || kind.is_hard_link() {
                let target = entry
                    .link_name_bytes()
                    .map(|t| String::from_utf8_lossy(&t).into_owned())
                    .unwrap_or_default();
                if let Some(t) = link_target(&key, &target, kind.is_hard_link()) {
                    links.push((key, t));
                }
            }
        }
        // Older `docker save` writes duplicate layers as symlinks to the first copy.
        let link_map: BTreeMap<String, String> = links.into_iter().collect();
        for (name, target) in &link_map {
            let mut t = target.clone();
            for _ in 0..8 {
                if let Some(&m) = members.get(&t) {
                    members.insert(name.clone(), m);
                    break;
                }
                match link_map.get(&t) {
                    Some(next) => t = next.clone(),
                    None => break,
                }
            }
        }
        Ok(Store::Tar {
            file: file.to_path_buf(),
            members,
        })
    }

    /// The image file or directory, for error messages.
    pub fn origin(&self) -> &Path {
        match self {
            Store::Dir(d) => d,
            Store::Tar { file, .. } => file,
        }
    }

    /// True when member `name` exists.
    pub fn has(&self, name: &str) -> bool {
        match self {
            Store::Dir(dir) => dir.join(name).is_file(),
            Store::Tar { members, .. } => members.contains_key(name),
        }
    }

    /// Opens member `name`; returns the reader and its size.
    pub fn open(&self, name: &str) -> Result<(Box<dyn Read>, u64)> {
        let missing = || ImportError::Missing {
            source_path: self.origin().to_path_buf(),
            what: name.to_string(),
        };
        match self {
            Store::Dir(dir) => {
                let path = dir.join(name);
                let f = File::open(&path).map_err(|source| match source.kind() {
                    std::io::ErrorKind::NotFound => missing(),
                    _ => ImportError::Read {
                        path: path.clone(),
                        source,
                    },
                })?;
                let size = f
                    .metadata()
                    .map_err(|source| ImportError::Read { path, source })?
                    .len();
                Ok((Box::new(f), size))
            }
            Store::Tar { file, members } => {
                let &(offset, size) = members.get(name).ok_or_else(missing)?;
                let mut f = File::open(file).map_err(|source| ImportError::Read {
                    path: file.clone(),
                    source,
                })?;
                f.seek(SeekFrom::Start(offset))
                    .map_err(|source| ImportError::Archive {
                        archive: file.clone(),
                        what: name.to_string(),
                        source,
                    })?;
                Ok((Box::new(f.take(size)), size))
            }
        }
    }

    /// Reads a small member (a JSON document) whole.
    pub fn read_small(&self, name: &str) -> Result<Vec<u8>> {
        let (r, size) = self.open(name)?;
        if size > JSON_LIMIT {
            return Err(ImportError::Invalid {
                source_path: self.origin().to_path_buf(),
                what: name.to_string(),
                reason: format!("{size} bytes is too large for a JSON document"),
            });
        }
        let mut buf = Vec::with_capacity(size as usize);
        r.take(JSON_LIMIT)
            .read_to_end(&mut buf)
            .map_err(|source| ImportError::Archive {
                archive: self.origin().to_path_buf(),
                what: name.to_string(),
                source,
            })?;
        Ok(buf)
    }
}

/// One image of a `docker save` archive's `manifest.json`.
#[derive(Debug, Deserialize)]
pub struct DockerManifestEntry {
    #[serde(rename = "Config")]
    pub config: String,
    #[serde(rename = "RepoTags", default)]
    pub repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers")]
    pub layers: Vec<String>,
}

/// Parses `manifest.json` and picks the image tagged `reference`, or the only image.
pub fn docker_manifest(
    bytes: &[u8],
    reference: Option<&str>,
    origin: &Path,
) -> Result<DockerManifestEntry> {
    let entries: Vec<DockerManifestEntry> =
        serde_json::from_slice(bytes).map_err(|e| ImportError::Invalid {
            source_path: origin.to_path_buf(),
            what: "manifest.json".into(),
            reason: e.to_string(),
        })?;
    let tags = |e: &DockerManifestEntry| e.repo_tags.clone().unwrap_or_default();
    match reference {
        Some(r) => {
            let available: Vec<String> = entries.iter().flat_map(tags).collect();
            entries
                .into_iter()
                .find(|e| {
                    tags(e)
                        .iter()
                        .any(|t| t == r || normalise_tag(t) == normalise_tag(r))
                })
                .ok_or_else(|| ImportError::NoSuchTag {
                    source_path: origin.to_path_buf(),
                    tag: r.to_string(),
                    available: available.join(", "),
                })
        }
        None if entries.len() == 1 => Ok(entries.into_iter().next().expect("one entry")),
        None => Err(ImportError::Ambiguous {
            source_path: origin.to_path_buf(),
            count: entries.len(),
            hint: "docker-archive:FILE:REPO:TAG".into(),
        }),
    }
}

/// `docker.io/library/busybox:latest` and `busybox:latest` name the same image.
fn normalise_tag(t: &str) -> &str {
    t.strip_prefix("docker.io/library/")
        .or_else(|| t.strip_prefix("docker.io/"))
        .unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_targets_resolve_inside_the_archive() {
        assert_eq!(
            link_target("a/b/layer.tar", "../c/layer.tar", false).as_deref(),
            Some("a/c/layer.tar")
        );
        assert_eq!(link_target("a/layer.tar", "../../x", false), None);
        assert_eq!(link_target("a/x", "./b/y", true).as_deref(), Some("b/y"));
        assert_eq!(
            normalise("./blobs//sha256/ab").as_deref(),
            Some("blobs/sha256/ab")
        );
    }

    #[test]
    fn docker_manifest_picks_by_tag() {
        let m = br#"[{"Config":"c1.json","RepoTags":["a:1"],"Layers":["l1/layer.tar"]},
                     {"Config":"c2.json","RepoTags":["docker.io/library/b:2"],"Layers":[]}]"#;
        let o = Path::new("d.tar");
        assert_eq!(
            docker_manifest(m, Some("b:2"), o).unwrap().config,
            "c2.json"
        );
        let e = docker_manifest(m, None, o).unwrap_err().to_string();
        assert_eq!(
            e,
            "d.tar holds 2 images; name one with docker-archive:FILE:REPO:TAG"
        );
        let e = docker_manifest(m, Some("c:3"), o).unwrap_err().to_string();
        assert_eq!(
            e,
            "no image tagged \"c:3\" in d.tar (available: a:1, docker.io/library/b:2)"
        );
    }
}

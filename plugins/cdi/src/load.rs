//! Reading the spec directories through a `HostView` (hooks.md §13.1): trust checks, every
//! `*.json` and `*.yaml` file decoded and validated, and the device index in which a later
//! directory overrides an earlier one and two definitions in one directory conflict.

use crate::name::Qualified;
use crate::spec::{self, CdiSpec};
use sifter_hook_api::HostView;
use std::collections::BTreeMap;

/// One spec directory as searched.
#[derive(Debug, Clone)]
pub struct DirScan {
    pub path: String,
    /// File names, or `None` when the directory is missing.
    pub files: Option<Vec<String>>,
}

/// Every loaded spec and the devices they define.
#[derive(Debug, Default)]
pub struct Index {
    pub dirs: Vec<DirScan>,
    /// (file path, spec)
    pub specs: Vec<(String, CdiSpec)>,
    /// qualified name → [(dir index, spec index, device index)]
    pub devices: BTreeMap<String, Vec<(usize, usize, usize)>>,
}

fn parent(path: &str) -> Option<&str> {
    let p = path.trim_end_matches('/');
    match p.rfind('/') {
        Some(0) if p.len() > 1 => Some("/"),
        Some(0) | None => None,
        Some(i) => Some(&p[..i]),
    }
}

/// hooks.md §6.1 through the host view: the path and every directory above it owned by root
/// (or `euid`) and not writable by group or others; sticky ancestors are accepted.
pub fn trusted(host: &dyn HostView, path: &str, euid: u32) -> Result<(), String> {
    let mut cur = Some(path);
    let mut first = true;
    while let Some(p) = cur {
        let st = host
            .stat(p)?
            .ok_or_else(|| format!("refusing {path}: {p} does not exist"))?;
        let mode = st.mode & 0o7777;
        let what = if first {
            String::new()
        } else {
            format!("directory {p} is ")
        };
        if st.uid != 0 && !(euid != 0 && st.uid == euid) {
            return Err(format!(
                "refusing {path}: {what}owned by uid {}, not root",
                st.uid
            ));
        }
        let sticky_ancestor = !first && st.kind == "dir" && mode & 0o1000 != 0;
        if !sticky_ancestor && mode & 0o020 != 0 {
            return Err(format!(
                "refusing {path}: {what}writable by group (mode {mode:04o})"
            ));
        }
        if !sticky_ancestor && mode & 0o002 != 0 {
            return Err(format!(
                "refusing {path}: {what}writable by others (mode {mode:04o})"
            ));
        }
        first = false;
        cur = parent(p);
    }
    Ok(())
}

/// Loads and validates every spec file of `dirs`.
pub fn load(host: &dyn HostView, dirs: &[String], euid: u32) -> Result<Index, String> {
    let mut index = Index::default();
    for (di, dir) in dirs.iter().enumerate() {
        match host.stat(dir)? {
            None => {
                index.dirs.push(DirScan {
                    path: dir.clone(),
                    files: None,
                });
                continue;
            }
            Some(st) if st.kind != "dir" => {
                return Err(format!("CDI spec directory {dir} is not a directory"));
            }
            Some(_) => {}
        }
        trusted(host, dir, euid)?;
        let mut files = Vec::new();
        for ext in ["json", "yaml"] {
            files.extend(host.glob(&format!("{}/*.{ext}", dir.trim_end_matches('/')))?);
        }
        files.sort();
        let mut names = Vec::new();
        for file in files {
            trusted(host, &file, euid)?;
            let text = host.read(&file)?;
            let spec =
                spec::decode(&file, &text).map_err(|e| format!("invalid CDI spec {file}: {e}"))?;
            spec::validate(&spec).map_err(|e| format!("invalid CDI spec {file}: {e}"))?;
            let si = index.specs.len();
            for (dv, d) in spec.devices.iter().enumerate() {
                index
                    .devices
                    .entry(format!("{}={}", spec.kind, d.name))
                    .or_default()
                    .push((di, si, dv));
            }
            names.push(file.rsplit('/').next().unwrap_or(&file).to_string());
            index.specs.push((file, spec));
        }
        index.dirs.push(DirScan {
            path: dir.clone(),
            files: Some(names),
        });
    }
    Ok(index)
}

impl Index {
    /// The (spec, device) that `q` names: the highest-priority directory wins; two definitions
    /// in that directory conflict.
    pub fn resolve(&self, q: &Qualified) -> Result<(usize, usize), String> {
        let key = q.to_string();
        let Some(found) = self.devices.get(&key) else {
            return Err(self.unresolvable(q));
        };
        let top = found.iter().map(|f| f.0).max().unwrap_or(0);
        let winners: Vec<&(usize, usize, usize)> = found.iter().filter(|f| f.0 == top).collect();
        if winners.len() > 1 {
            return Err(format!(
                "CDI device \"{key}\" is defined in both {} and {}",
                self.specs[winners[0].1].0, self.specs[winners[1].1].0
            ));
        }
        Ok((winners[0].1, winners[0].2))
    }

    fn unresolvable(&self, q: &Qualified) -> String {
        let searched: Vec<String> = self
            .dirs
            .iter()
            .map(|d| match &d.files {
                None => format!("{} (missing)", d.path),
                Some(f) if f.is_empty() => format!("{} (no spec files)", d.path),
                Some(f) => format!("{} ({})", d.path, f.join(", ")),
            })
            .collect();
        let kind = q.kind();
        let prefix = format!("{kind}=");
        let mut offers: Vec<&str> = self
            .devices
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix))
            .collect();
        offers.sort();
        offers.dedup();
        let offers = if offers.is_empty() {
            format!("no spec offers {kind}")
        } else {
            format!("{kind} offers: {}", offers.join(", "))
        };
        format!(
            "unresolvable CDI device \"{q}\"; searched {}; {offers}",
            searched.join(", ")
        )
    }
}

//! Trust checks (hooks.md §6.1): a path is resolved (symlinks followed) and it, and every
//! directory from `/` down to it, must be owned by root (or by the invoking euid when not root)
//! and not writable by group or others; a sticky directory is accepted as an ancestor.

use crate::error::PluginError;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// What the final path must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    File,
    Dir,
}

fn owner_ok(uid: u32, euid: u32) -> bool {
    uid == 0 || (euid != 0 && uid == euid)
}

fn problem(md: &std::fs::Metadata, euid: u32, ancestor: bool) -> Option<String> {
    let mode = md.mode() & 0o7777;
    if !owner_ok(md.uid(), euid) {
        let who = if euid == 0 {
            "root".to_string()
        } else {
            format!("root or uid {euid}")
        };
        return Some(format!("owned by uid {}, not {who}", md.uid()));
    }
    if ancestor && md.is_dir() && mode & 0o1000 != 0 {
        return None;
    }
    if mode & 0o020 != 0 {
        return Some(format!("writable by group (mode {mode:04o})"));
    }
    if mode & 0o002 != 0 {
        return Some(format!("writable by others (mode {mode:04o})"));
    }
    None
}

/// Checks `path` and returns its canonical form.
pub fn check(path: &Path, want: Want, euid: u32) -> Result<PathBuf, PluginError> {
    let refuse = |reason: String| PluginError::Untrusted {
        path: path.to_path_buf(),
        reason,
    };
    let canonical =
        std::fs::canonicalize(path).map_err(|e| refuse(format!("cannot resolve: {e}")))?;
    let md = std::fs::metadata(&canonical).map_err(|e| refuse(format!("cannot stat: {e}")))?;
    match want {
        Want::File if !md.is_file() => return Err(refuse("not a regular file".into())),
        Want::Dir if !md.is_dir() => return Err(refuse("not a directory".into())),
        _ => {}
    }
    if let Some(p) = problem(&md, euid, false) {
        return Err(refuse(p));
    }
    let mut cur = canonical.parent();
    while let Some(dir) = cur {
        let md = std::fs::metadata(dir)
            .map_err(|e| refuse(format!("cannot stat {}: {e}", dir.display())))?;
        if let Some(p) = problem(&md, euid, true) {
            return Err(refuse(format!("directory {} is {p}", dir.display())));
        }
        cur = dir.parent();
    }
    Ok(canonical)
}

/// The effective uid of this process.
pub fn euid() -> u32 {
    nix::unistd::geteuid().as_raw()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn chmod(p: &Path, mode: u32) {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn modes_and_owners() {
        let d = tempfile::tempdir_in("/var/tmp").unwrap();
        let f = d.path().join("x.lua");
        std::fs::write(&f, "").unwrap();
        chmod(&f, 0o644);
        let me = euid();
        if me == 0 {
            assert!(check(&f, Want::File, 0).is_ok());
            chmod(&f, 0o664);
            let e = check(&f, Want::File, 0).unwrap_err().to_string();
            assert_eq!(
                e,
                format!("refusing {}: writable by group (mode 0664)", f.display())
            );
            chmod(&f, 0o644);
            chmod(d.path(), 0o707);
            let e = check(&f, Want::File, 0).unwrap_err().to_string();
            assert!(
                e.contains(&format!(
                    "directory {} is writable by others (mode 0707)",
                    d.path().display()
                )),
                "{e}"
            );
            chmod(d.path(), 0o700);
            assert!(
                check(d.path(), Want::File, 0)
                    .unwrap_err()
                    .to_string()
                    .ends_with("not a regular file")
            );
            // owned by someone else
            nix::unistd::chown(&f, Some(nix::unistd::Uid::from_raw(1234)), None).unwrap();
            let e = check(&f, Want::File, 0).unwrap_err().to_string();
            assert!(e.ends_with("owned by uid 1234, not root"), "{e}");
            assert!(check(&f, Want::File, 1234).is_ok());
        }
    }
}

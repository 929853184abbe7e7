//! `sifter oci umount` (oci-reference.md §6) and `teardown`, the undo procedure that both
//! `umount` and a failed `mount` use. Only what the record names is touched; a mount is undone
//! only when mountinfo shows that mount point with the recorded fs type, a loop device only when
//! sysfs still shows the recorded backing file, offset and size limit.
//!
//! Effects, in order: bundle lock; claim check (a stale claim is removed); unmount `rootfs`,
//! `overlay/lower`, `overlay`; detach a leftover loop device; remove `config.json`,
//! `volumes/`, `overlay/`, `rootfs/`, the record; `rmdir` a bundle that mount created.

use crate::layout::BundleLayout;
use crate::lock::{BundleLock, claim_path, read_claim};
use crate::mounter::{KernelLoop, Mounter};
use crate::mountinfo;
use crate::record::{self, MountRecord, StepKind, read_record};
use crate::{BundleError, Result};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Default)]
pub struct UmountOptions {
    /// Detach busy mounts lazily (with a WARNING) instead of failing. Deleting the bundle's
    /// container first is the lifecycle engine's part of `--force`.
    pub force: bool,
}

#[derive(Debug, Clone, Default)]
pub struct UmountOutcome {
    pub warnings: Vec<String>,
}

/// How long to wait for loop autoclear to finish after the squashfs unmount.
const AUTOCLEAR_WAIT: Duration = Duration::from_secs(2);

/// `sifter oci umount [--force] BUNDLE` with an absolute path.
pub fn umount(root: &Path, bundle: &Path, opts: &UmountOptions) -> Result<UmountOutcome> {
    let span = tracing::info_span!("umount", bundle = %bundle.display(), force = opts.force);
    let _enter = span.enter();
    let no_record = || BundleError::NoRecord {
        bundle: bundle.to_path_buf(),
    };
    let canon = match std::fs::canonicalize(bundle) {
        Ok(p) => p,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(no_record()),
        Err(e) => return Err(BundleError::io("resolve bundle path", bundle, e)),
    };
    let lock = BundleLock::acquire(root, &canon)?;
    let layout = BundleLayout::new(&canon);
    let mut record = read_record(&canon)?.ok_or_else(no_record)?;
    if let Some(claim) = read_claim(root, lock.key())? {
        let alive = !claim.id.contains('/')
            && root
                .join("containers")
                .join(&claim.id)
                .join("state.json")
                .exists();
        if alive {
            return Err(BundleError::InUse {
                bundle: canon,
                id: claim.id,
            });
        }
        let path = claim_path(root, lock.key());
        std::fs::remove_file(&path)
            .or_else(ignore_missing)
            .map_err(|e| BundleError::io("remove stale bundle claim", path, e))?;
    }
    let warnings = teardown(&layout, &mut record, &KernelLoop, opts.force)?;
    Ok(UmountOutcome { warnings })
}

fn ignore_missing(e: std::io::Error) -> std::io::Result<()> {
    if e.kind() == std::io::ErrorKind::NotFound {
        Ok(())
    } else {
        Err(e)
    }
}

/// §6 steps 4-7 for whatever `record` names. Returns WARNING texts.
pub(crate) fn teardown(
    layout: &BundleLayout,
    record: &mut MountRecord,
    m: &dyn Mounter,
    force: bool,
) -> Result<Vec<String>> {
    let mut warnings = Vec::new();
    let bundle = layout.bundle();

    // 4. Unmount, innermost first. One mountinfo read serves all three: under the bundle
    // lock nothing else mounts there, and each read costs ~0.5 ms on a host with many mounts.
    let mut lower_unmounted = false;
    let table = m.mountinfo()?;
    for (kind, rel) in [
        (StepKind::Mount, "rootfs"),
        (StepKind::Mount, "overlay/lower"),
        (StepKind::Bind, "overlay"),
    ] {
        let Some(step) = record.step(kind, rel) else {
            continue;
        };
        let path = layout.join(Path::new(rel));
        let Some(entry) = mountinfo::mounted_at(&table, &path) else {
            continue;
        };
        let expected = step.fstype.as_deref().unwrap_or("");
        if !expected.is_empty() && entry.fstype != expected {
            continue;
        }
        match m.unmount(&path, false) {
            Err(BundleError::UnmountBusy { .. }) if force => {
                m.unmount(&path, true)?;
                warnings.push(format!("{} is busy; detached it lazily", path.display()));
            }
            other => other?,
        }
        lower_unmounted |= rel == "overlay/lower";
    }

    // 5. A loop device that autoclear has not freed (a crash before the squashfs mount).
    if let Some(device) = record
        .steps
        .iter()
        .find(|s| s.kind == StepKind::Loop)
        .and_then(|s| s.device.clone())
    {
        let ours = |m: &dyn Mounter| {
            m.loop_status(&device).is_some_and(|st| {
                st.backing_file == record.sif.path
                    && st.offset == record.partition.offset
                    && st.sizelimit == record.partition.size
            })
        };
        if lower_unmounted {
            let deadline = Instant::now() + AUTOCLEAR_WAIT;
            while ours(m) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        if ours(m) {
            m.detach_loop(&device)?;
        }
    }

    // Nothing may stay mounted below the bundle before files are removed.
    let table = m.mountinfo()?;
    if let Some(e) = mountinfo::under(&table, bundle)
        .into_iter()
        .find(|e| e.mount_point != bundle)
    {
        return Err(BundleError::StillMounted {
            path: e.mount_point.clone(),
        });
    }

    // 6. Remove what mount created.
    if record.has(StepKind::File, crate::layout::CONFIG) {
        remove(&layout.config(), false)?;
    }
    sweep_temp_files(bundle)?;
    for dir in ["volumes", "overlay"] {
        if record.has(StepKind::Mkdir, dir) {
            remove(&layout.join(Path::new(dir)), true)?;
        }
    }
    if record.has(StepKind::Mkdir, "rootfs") {
        remove(&layout.rootfs(), false)?;
    }
    record::remove_record(layout)?;
    record.steps.clear();

    // 7. The bundle directory itself, if mount created it.
    if record.created_bundle {
        match std::fs::remove_dir(bundle) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::DirectoryNotEmpty => {
                let first = first_entry(bundle).unwrap_or_default();
                warnings.push(format!("kept {}: not empty ({first})", bundle.display()));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(BundleError::io("remove bundle directory", bundle, e)),
        }
    } else {
        record::sync_dir(bundle)?;
    }
    Ok(warnings)
}

/// Removes a file, an empty directory, or (when `tree`) a directory tree without following
/// symlinks; a missing path is fine.
fn remove(path: &Path, tree: bool) -> Result<()> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(BundleError::io("stat", path, e)),
    };
    let r = if meta.is_dir() {
        if tree {
            std::fs::remove_dir_all(path)
        } else {
            std::fs::remove_dir(path)
        }
    } else {
        std::fs::remove_file(path)
    };
    r.or_else(ignore_missing)
        .map_err(|e| BundleError::io("remove", path, e))
}

/// Temp files that a killed `mount` left mid-write.
fn sweep_temp_files(bundle: &Path) -> Result<()> {
    let entries = std::fs::read_dir(bundle).map_err(|e| BundleError::io("read", bundle, e))?;
    let mut leftovers: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| record::is_temp_leftover(&e.file_name().to_string_lossy()))
        .map(|e| e.path())
        .collect();
    leftovers.sort();
    for p in leftovers {
        remove(&p, false)?;
    }
    Ok(())
}

/// The first entry of a directory in byte order.
fn first_entry(dir: &Path) -> Option<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names.into_iter().next()
}

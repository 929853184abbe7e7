//! `sifter oci mount` (oci-reference.md §3.3): the ordered steps, each recorded as `intended`
//! in `.sifter-mount.json` before it runs and as `done` after; any failure (or SIGINT, SIGTERM,
//! SIGHUP) undoes everything in reverse through the `umount` procedure, and a cleanup error
//! travels with the original one.
//!
//! Effects, in order: bundle directory; record; `rootfs/`, `overlay/`, `volumes/`; identity
//! bind of `overlay/` (nosuid,nodev); `overlay/{lower,upper,work}`; loop device (loop method);
//! lower squashfs; overlay on `rootfs/`; `volumes/<escaped>`; `config.json`; record complete.

use crate::checks::{self, CheckedImage};
use crate::config::{self, HostInfo};
use crate::layout::BundleLayout;
use crate::lock::{BundleLock, canonical_bundle};
use crate::mounter::{self, LowerSource, Mounter};
use crate::record::{
    self, Method, MountRecord, PartitionInfo, RECORD_VERSION, SifInfo, Step, StepKind,
};
use crate::rootfs::{probe_entry_point, read_in_root};
use crate::signals::SignalGuard;
use crate::umount::teardown;
use crate::{BundleError, Result};
use sifter_sif::SifImage;
use std::fs::{DirBuilder, File};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

mod run;
use run::Run;

/// The step names a [`Fault`] can name, in execution order.
pub const STEPS: [&str; 10] = [
    "record",
    "mkdir",
    "bind",
    "lower-dirs",
    "loop",
    "lower",
    "overlay",
    "volumes",
    "config",
    "complete",
];

/// Test-only fault injection (oci-reference.md §3.4): `Fail` makes the named step fail after
/// its intent is recorded; `Stop` raises SIGSTOP right after the step's action, before it is
/// recorded as done (for kill -9 tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub step: String,
    pub action: FaultAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAction {
    Fail,
    Stop,
}

#[derive(Debug, Clone, Default)]
pub struct MountOptions {
    /// squashfuse instead of a loop device.
    pub fuse: bool,
    /// Where to look for squashfuse (§5.1); empty = the default search path.
    pub search_path: Vec<PathBuf>,
    pub fault: Option<Fault>,
}

#[derive(Debug, Clone)]
pub struct MountOutcome {
    /// The canonical bundle path.
    pub bundle: PathBuf,
    /// WARNING texts for the CLI.
    pub warnings: Vec<String>,
}

/// `sifter oci mount [--fuse] SIF BUNDLE` with absolute paths: SIF checks, bundle lock, steps.
pub fn mount(root: &Path, sif: &Path, bundle: &Path, opts: &MountOptions) -> Result<MountOutcome> {
    let span = tracing::info_span!("mount", sif = %sif.display(), bundle = %bundle.display(), fuse = opts.fuse);
    let _enter = span.enter();
    let checked = checks::check(SifImage::open(sif)?)?;
    let canon = canonical_bundle(bundle)?;
    let layout = BundleLayout::new(&canon);
    layout.check_overlay_path()?;
    let method = if opts.fuse {
        Method::Fuse
    } else {
        Method::Loop
    };
    let search = if opts.search_path.is_empty() {
        mounter::default_search_path()
    } else {
        opts.search_path.clone()
    };
    let mounter = mounter::for_method(method, &search)?;
    let _lock = BundleLock::acquire(root, &canon)?;
    mount_with(&checked, &layout, mounter.as_ref(), opts)
}

/// The steps, for an already checked image and a locked bundle.
pub fn mount_with(
    img: &CheckedImage,
    layout: &BundleLayout,
    m: &dyn Mounter,
    opts: &MountOptions,
) -> Result<MountOutcome> {
    let signals = SignalGuard::block();
    let sif_path = img.image.path();
    let sif_file = File::open(sif_path).map_err(|e| BundleError::io("open", sif_path, e))?;
    let meta = sif_file
        .metadata()
        .map_err(|e| BundleError::io("stat", sif_path, e))?;
    let sif_canon =
        std::fs::canonicalize(sif_path).map_err(|e| BundleError::io("resolve", sif_path, e))?;
    let created_bundle = prepare_bundle(layout)?;
    let mut run = Run {
        layout,
        m,
        fault: opts.fault.clone(),
        signals,
        record: MountRecord {
            version: RECORD_VERSION,
            sif: SifInfo {
                path: sif_canon,
                dev: meta.dev(),
                inode: meta.ino(),
                id: img.image.header().uuid_string(),
            },
            partition: PartitionInfo {
                offset: img.offset,
                size: img.size,
                arch: img.arch.go_name().to_string(),
            },
            labels: img.labels.clone(),
            method: m.method(),
            created_bundle,
            steps: Vec::new(),
            complete: false,
        },
    };
    match run.steps(img, &sif_file) {
        Ok(warnings) => Ok(MountOutcome {
            bundle: layout.bundle().to_path_buf(),
            warnings,
        }),
        Err(err) => Err(run.rollback(err)),
    }
}

/// A present bundle must be an empty directory; an absent one is created 0700.
/// Returns whether it was created.
fn prepare_bundle(layout: &BundleLayout) -> Result<bool> {
    let bundle = layout.bundle();
    match std::fs::symlink_metadata(bundle) {
        Ok(meta) if meta.is_dir() => {
            if layout.record().exists() {
                return Err(BundleError::AlreadyMounted {
                    bundle: bundle.into(),
                });
            }
            let mut entries =
                std::fs::read_dir(bundle).map_err(|e| BundleError::io("read", bundle, e))?;
            if entries.next().is_some() {
                return Err(BundleError::NotEmpty {
                    bundle: bundle.into(),
                });
            }
            Ok(false)
        }
        Ok(_) => Err(BundleError::NotDirectory {
            bundle: bundle.into(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            mkdir(bundle, 0o700)?;
            Ok(true)
        }
        Err(e) => Err(BundleError::io("stat", bundle, e)),
    }
}

/// mkdir with an exact mode, whatever the umask.
fn mkdir(path: &Path, mode: u32) -> Result<()> {
    DirBuilder::new()
        .mode(mode)
        .create(path)
        .and_then(|()| std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)))
        .map_err(|e| BundleError::io("create directory", path, e))
}

fn failed(step: &'static str) -> impl FnOnce(BundleError) -> BundleError {
    move |e| BundleError::Step {
        step,
        source: Box::new(e),
    }
}

impl Run<'_> {
    fn steps(&mut self, img: &CheckedImage, sif: &File) -> Result<Vec<String>> {
        let l = self.layout;
        let mut warnings = Vec::new();
        self.step("record", Vec::new(), |r| {
            record::write_record(r.layout, &r.record, true)
        })?;

        // One write announces the directories, the bind and the loop device.
        let mkdirs = |paths: [&str; 3]| paths.map(|p| Step::new(StepKind::Mkdir, Some(p), None));
        let bind_fs = crate::mountinfo::containing(&self.m.mountinfo()?, &l.overlay())
            .map(|e| e.fstype.clone())
            .unwrap_or_default();
        let mut pre = mkdirs(["rootfs", "overlay", "volumes"]).to_vec();
        pre.push(Step::new(StepKind::Bind, Some("overlay"), Some(&bind_fs)));
        pre.extend(mkdirs(["overlay/lower", "overlay/upper", "overlay/work"]));
        let with_loop = self.m.method() == Method::Loop;
        if with_loop {
            pre.push(Step::new(StepKind::Loop, None, None));
        }
        let pre = self.intend(pre)?;
        let (dirs, bind, lower_dirs) = (
            pre.start..pre.start + 3,
            pre.start + 3..pre.start + 4,
            pre.start + 4..pre.start + 7,
        );
        self.act("mkdir", dirs, |_| {
            mkdir(&l.rootfs(), 0o700)?;
            mkdir(&l.overlay(), 0o700)?;
            mkdir(&l.volumes(), 0o755)
        })?;
        self.act("bind", bind, |r| r.m.bind_self(&l.overlay()))
            .map_err(failed("create overlay"))?;
        self.act("lower-dirs", lower_dirs, |_| {
            mkdir(&l.lower(), 0o700)?;
            mkdir(&l.upper(), 0o755)?;
            mkdir(&l.work(), 0o700)
        })
        .map_err(failed("create overlay"))?;

        // The loop device (intent without a device above; a crash before it is recorded is
        // safe: autoclear frees a device whose last fd closes before anything mounts it).
        let attached = if with_loop {
            let idx = pre.end - 1;
            let attached = self
                .act("loop", idx..idx + 1, |r| {
                    r.m.attach_loop(sif, img.offset, img.size)
                })
                .map_err(failed("mount SIF partition"))?;
            self.record.steps[idx].device = attached.as_ref().map(|a| a.device.clone());
            attached
        } else {
            None
        };

        // One write records the device and announces the mounts, volumes and config.json.
        let image_config = img.image_config.clone().unwrap_or_default();
        let (volumes, volume_warnings) = image_config.volumes();
        warnings.extend(volume_warnings);
        let mut post = vec![
            Step::new(
                StepKind::Mount,
                Some("overlay/lower"),
                Some(&self.m.lower_fstype()),
            ),
            Step::new(StepKind::Mount, Some("rootfs"), Some("overlay")),
        ];
        post.extend(volumes.iter().map(|v| {
            let rel = format!("volumes/{}", v.escaped);
            Step::new(StepKind::Mkdir, Some(&rel), None)
        }));
        post.push(Step::new(StepKind::File, Some(crate::layout::CONFIG), None));
        let post = self.intend(post)?;
        let (lower, overlay, vols, file) = (
            post.start..post.start + 1,
            post.start + 1..post.start + 2,
            post.start + 2..post.end - 1,
            post.end - 1..post.end,
        );

        let source = LowerSource {
            sif: &self.record.sif.path.clone(),
            offset: img.offset,
            size: img.size,
            device: attached.as_ref().map(|a| a.device.as_str()),
        };
        self.act("lower", lower, |r| r.m.mount_lower(source, &l.lower()))
            .map_err(failed("mount SIF partition"))?;
        drop(attached); // the squashfs mount now holds the device; autoclear frees it later

        self.act("overlay", overlay, |r| {
            // sifter differs from the reference: `volatile` (Linux 5.10+, overlayfs docs
            // "Volatile mount") skips the sync of the upper filesystem when the overlay is
            // unmounted. umount deletes the upper layer right after (§6 step 6), so that sync
            // only waited for the journal of the whole host filesystem (~50 ms under write
            // load here). Kernels without `volatile` or xino refuse them with EINVAL, so each
            // is dropped in turn (xino as SingularityCE 4.x does).
            let mut result = Ok(());
            for (xino, volatile) in [(true, true), (true, false), (false, false)] {
                result =
                    r.m.mount_overlay(&l.rootfs(), &l.overlay_data(xino, volatile));
                match &result {
                    Err(BundleError::Mount { source, .. })
                        if source.raw_os_error() == Some(libc::EINVAL) => {}
                    _ => break,
                }
            }
            result
        })
        .map_err(failed("create overlay"))?;

        self.act("volumes", vols, |_| {
            volumes
                .iter()
                .try_for_each(|v| mkdir(&l.volume(&v.escaped), 0o755))
        })
        .map_err(failed("create volume directories"))?;

        let config_warnings = self
            .act("config", file, |_| {
                let host = HostInfo {
                    bundle: l.bundle().to_path_buf(),
                    entry_point: probe_entry_point(&l.rootfs()),
                    passwd: read_in_root(&l.rootfs(), "etc/passwd"),
                };
                let generated = config::generate(&image_config, &host);
                let bytes = config::to_bytes(&generated.spec);
                record::write_atomic(l.bundle(), &l.config(), &bytes)?;
                Ok(generated.warnings)
            })
            .map_err(failed("write OCI configuration"))?;
        warnings.extend(config_warnings);

        self.step("complete", Vec::new(), |_| Ok(()))?;
        self.record.complete = true;
        record::write_record(self.layout, &self.record, true)?;
        Ok(warnings)
    }

    /// Undoes everything through the umount procedure; a cleanup failure keeps the record and
    /// travels with the original error.
    fn rollback(mut self, err: BundleError) -> BundleError {
        tracing::debug!(bundle = %self.layout.bundle().display(), error = %err, "rolling back");
        match teardown(self.layout, &mut self.record, self.m, false) {
            Ok(_) => err,
            Err(cleanup) => {
                let _ = record::write_record(self.layout, &self.record, true);
                BundleError::RollbackIncomplete {
                    bundle: self.layout.bundle().to_path_buf(),
                    original: Box::new(err),
                    cleanup: Box::new(cleanup),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;

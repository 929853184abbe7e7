//! `sifter build OUT.sif SOURCE`: the reverse of `oci mount`. A [`Source`] yields a root tree
//! (and, for image sources, extra SIF objects and labels); the common pipeline adds the
//! runscript and environment files, squashes the tree with `mksquashfs`, and writes the SIF
//! around it with `sifter-sif`'s writer, atomically.
//!
//! Effects, in order: a staging directory next to OUT; mksquashfs writes the partition there;
//! a temp file next to OUT receives the SIF and is renamed over OUT. The staging directory is
//! removed in every case; the source is only read.
//!
//! Each source kind has its own file: `dir.rs` (a root filesystem directory) and `oci/` (OCI
//! image layouts, oci-archive and docker-archive tars). Image sources add a `Source` variant
//! and a `prepare` arm.

mod dir;
pub mod oci;
mod output;
mod placement;
mod squash;

pub use placement::{
    Added, ENV_SCRIPT, RUNSCRIPT, TreeFacts, env_script, exclude_list, parse_key_value,
    pseudo_definitions,
};
pub use squash::{SquashOptions, mksquashfs_argv};

use crate::{BundleError, Result};
use sifter_sif::{
    Arch, DEFAULT_LAUNCH_SCRIPT, DataType, FsType, ObjectData, ObjectInput, PartType, SifWriter,
    ZERO_TIME,
};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Name of the primary partition object.
pub const PARTITION_NAME: &str = "rootfs.squashfs";
/// Name of the labels object (JSON.Labels).
pub const LABELS_NAME: &str = "labels.json";

/// Where the root tree comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A root filesystem directory (absolute).
    Dir(PathBuf),
    /// An OCI image: `oci:DIR[:TAG]`, `oci-archive:FILE[:TAG]`, `docker-archive:FILE[:REPO:TAG]`.
    Oci(oci::OciSource),
}

impl Source {
    /// Parses the SOURCE argument; relative paths are made absolute against `cwd`.
    pub fn parse(text: &str, cwd: &Path) -> Result<Source> {
        if text.is_empty() {
            return Err(BundleError::BuildArgument {
                what: "source",
                value: String::new(),
                reason: "the source is empty",
            });
        }
        if let Some(s) = oci::OciSource::parse(text)? {
            return Ok(Source::Oci(s.absolute(cwd)));
        }
        Ok(Source::Dir(cwd.join(text)))
    }

    /// What the source is, for messages.
    pub fn describe(&self) -> String {
        match self {
            Source::Dir(p) => p.display().to_string(),
            Source::Oci(s) => s.describe(),
        }
    }

    /// Produces the root tree; `staging` is a private directory next to OUT that image
    /// sources may fill.
    fn prepare(
        &self,
        staging: &Path,
        opts: &BuildOptions,
        progress: &mut dyn oci::Progress,
        interrupted: oci::Interrupted,
    ) -> Result<Prepared> {
        match self {
            Source::Dir(dir) => dir::prepare(dir),
            Source::Oci(s) => oci::prepare(s, staging, &opts.arch, progress, interrupted),
        }
    }
}

/// What a source hands to the common pipeline.
#[derive(Debug)]
pub struct Prepared {
    /// The tree to squash (canonical path).
    pub root: PathBuf,
    /// Objects to store before the partition (e.g. `oci-config.json`).
    pub objects: Vec<ObjectInput>,
    /// Labels from the image; `--label` values override them.
    pub labels: BTreeMap<String, String>,
}

/// The image's identity: UUID and creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub id: [u8; 16],
    pub time: i64,
}

impl Stamp {
    /// The reference's deterministic identity: nil UUID, Go's zero time.
    pub fn deterministic() -> Stamp {
        Stamp {
            id: [0; 16],
            time: ZERO_TIME,
        }
    }

    /// A random (version 4) UUID and the current time.
    pub fn now() -> Result<Stamp> {
        let mut id = [0u8; 16];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut id))
            .map_err(|source| BundleError::io("read", "/dev/urandom", source))?;
        id[6] = (id[6] & 0x0f) | 0x40;
        id[8] = (id[8] & 0x3f) | 0x80;
        let time = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        Ok(Stamp { id, time })
    }
}

/// Everything `build` needs besides OUT and the source.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub stamp: Stamp,
    /// Reproducible output: also pins the squashfs and added-file times.
    pub deterministic: bool,
    /// `--label KEY=VALUE`, stored as a JSON.Labels object.
    pub labels: BTreeMap<String, String>,
    /// `--runscript FILE` → `/.singularity.d/runscript`.
    pub runscript: Option<PathBuf>,
    /// `--env KEY=VALUE` → `/.singularity.d/env/90-environment.sh`, in this order.
    pub env: Vec<(String, String)>,
    /// Architecture recorded for the partition (default: the host's).
    pub arch: Arch,
    pub squash: SquashOptions,
}

impl BuildOptions {
    pub fn new(stamp: Stamp) -> BuildOptions {
        BuildOptions {
            stamp,
            deterministic: false,
            labels: BTreeMap::new(),
            runscript: None,
            env: Vec::new(),
            arch: Arch::host(),
            squash: SquashOptions {
                processors: std::thread::available_parallelism().ok().map(|n| n.get()),
                ..SquashOptions::default()
            },
        }
    }
}

/// What was built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildOutcome {
    pub path: PathBuf,
    pub size: u64,
    pub partition_id: u32,
    pub squashfs_size: u64,
    pub objects: usize,
}

/// Builds OUT from `source` (see the module doc for the effects).
pub fn build(out: &Path, source: &Source, opts: &BuildOptions) -> Result<BuildOutcome> {
    build_with_progress(out, source, opts, &mut oci::NoProgress)
}

/// `build`, reporting the progress of image sources (layers and bytes) to `progress`.
pub fn build_with_progress(
    out: &Path,
    source: &Source,
    opts: &BuildOptions,
    progress: &mut dyn oci::Progress,
) -> Result<BuildOutcome> {
    let span = tracing::info_span!("build", out = %out.display(), source = %source.describe());
    let _enter = span.enter();
    if out.is_dir() {
        return Err(BundleError::io(
            "write",
            out,
            std::io::Error::from(std::io::ErrorKind::IsADirectory),
        ));
    }
    let out_dir = output::parent(out);
    std::fs::metadata(out_dir)
        .map_err(|source| BundleError::io("use output directory", out_dir, source))?;
    let staging = tempfile::Builder::new()
        .prefix(".sifter-build-")
        .tempdir_in(out_dir)
        .map_err(|source| output::temp_error(out_dir, source))?;
    // SIGINT, SIGTERM and SIGHUP become an error between steps, so the temp files go too.
    let signals = crate::signals::SignalGuard::block();
    let interrupted = || match signals.pending() {
        Some(signal) => Err(BundleError::Interrupted { signal }),
        None => Ok(()),
    };
    let prepared = source.prepare(staging.path(), opts, progress, &|| signals.pending());
    interrupted()?;
    let prepared = prepared?;

    let added = stage_added_files(staging.path(), opts)?;
    let facts = TreeFacts {
        has_singularity_dir: prepared.root.join(placement::SINGULARITY_DIR).is_dir(),
        has_env_dir: prepared.root.join(placement::ENV_DIR).is_dir(),
    };
    let file_time = if opts.deterministic {
        0
    } else {
        opts.stamp.time.max(0) as u64
    };
    let mut squash = opts.squash.clone();
    squash.deterministic |= opts.deterministic;
    // The SIF is written around the partition that mksquashfs puts straight into it, so the
    // squashfs is never copied.
    let temp = output::TempSif::new(out)?;
    let mut inside = Vec::new();
    for p in [staging.path(), temp.path()] {
        let abs = p
            .canonicalize()
            .map_err(|source| BundleError::io("resolve", p, source))?;
        if let Ok(rel) = abs.strip_prefix(&prepared.root) {
            inside.push(rel.to_path_buf());
        }
    }
    let inside: Vec<&Path> = inside.iter().map(PathBuf::as_path).collect();
    if !added.is_empty() {
        let pf = staging.path().join("pseudo");
        write(&pf, &pseudo_definitions(&added, facts, file_time))?;
        squash.pseudo_file = Some(pf);
    }
    if !added.is_empty() || !inside.is_empty() {
        let ef = staging.path().join("exclude");
        write(&ef, &exclude_list(&added, &inside))?;
        squash.exclude_file = Some(ef);
    }

    let mut writer =
        SifWriter::new(opts.stamp.id, opts.stamp.time).launch_script(DEFAULT_LAUNCH_SCRIPT);
    let mut objects = 0;
    for o in prepared.objects {
        writer.add(o);
        objects += 1;
    }
    let mut labels = prepared.labels;
    labels.extend(opts.labels.clone());
    if !labels.is_empty() {
        let mut json = serde_json::to_vec_pretty(&labels).expect("string map serialises");
        json.push(b'\n');
        writer.add(ObjectInput::bytes(DataType::Labels, LABELS_NAME, json));
        objects += 1;
    }
    let partition =
        |size| {
            let mut o = ObjectInput::bytes(DataType::Partition, PARTITION_NAME, Vec::new())
                .partition(FsType::Squashfs, PartType::PrimSys, opts.arch.clone());
            o.data = ObjectData::InPlace { size };
            o
        };
    // The partition's offset does not depend on its size.
    let mut probe = writer.clone();
    probe.add(partition(0));
    let offset = probe.layout()?.1.last().expect("the partition").offset;
    squash.offset = Some(offset);
    let squashed = squash::run(&prepared.root, temp.path(), &squash);
    interrupted()?;
    squashed?;
    let squashfs_size = temp.len()?.saturating_sub(offset);
    let partition_id = writer.add(partition(squashfs_size));
    objects += 1;
    let size = temp.finish(&writer, out)?;
    tracing::debug!(size, squashfs_size, "built");
    Ok(BuildOutcome {
        path: out.to_path_buf(),
        size,
        partition_id,
        squashfs_size,
        objects,
    })
}

/// Writes the runscript and environment files into `staging` and says where they go.
fn stage_added_files(staging: &Path, opts: &BuildOptions) -> Result<Vec<Added>> {
    let mut added = Vec::new();
    if let Some(rs) = &opts.runscript {
        let staged = staging.join("runscript");
        std::fs::copy(rs, &staged)
            .map_err(|source| BundleError::io("read runscript", rs, source))?;
        added.push(Added {
            image_path: RUNSCRIPT,
            mode: 0o755,
            staged,
        });
    }
    if !opts.env.is_empty() {
        let staged = staging.join("90-environment.sh");
        write(&staged, &env_script(&opts.env)?)?;
        added.push(Added {
            image_path: ENV_SCRIPT,
            mode: 0o644,
            staged,
        });
    }
    Ok(added)
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|source| BundleError::io("write", path, source))
}

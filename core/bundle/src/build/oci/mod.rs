//! `sifter build` from OCI images: `oci:DIR[:TAG]`, `oci-archive:FILE[:TAG]` and
//! `docker-archive:FILE[:REPO:TAG]` (`reference.rs`). The image is resolved (`layout.rs`,
//! `archive.rs`; JSON blobs are checked against their digests before they are parsed), the
//! layers are streamed (`stream.rs`: blob digest and diff-id hashed on the way, compression
//! sniffed) and applied in order into a private staging root (`layer.rs`, `root.rs`,
//! `meta.rs`), and the image config becomes the `oci-config.json` object and the
//! `/.singularity.d` files (`config.rs`, `singularity.rs`). A layer's digests are compared once
//! it is read, so a mismatch fails the build after that layer was unpacked into the staging
//! root, which is then removed. Making the squashfs and the SIF stays with the pipeline in
//! `build/`; `--sandbox` renames the tree into place instead (`staging.rs`). Progress goes
//! through `progress.rs`.

pub mod archive;
pub mod config;
pub mod digest;
pub mod error;
pub mod layer;
pub mod layout;
pub mod meta;
pub mod progress;
pub mod reference;
pub mod root;
pub mod singularity;
pub mod staging;
pub mod stream;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use sifter_sif::{Arch, DataType, ObjectInput};

pub use error::{ImportError, Result};
pub use progress::{NoProgress, Progress};
pub use reference::OciSource;
pub use staging::Staging;

use archive::Store;
use layer::Applier;
use layout::ResolvedImage;
use stream::LayerStream;

/// What the import produced besides the root filesystem.
#[derive(Debug, Clone)]
pub struct ImportedImage {
    /// The `oci-config.json` GenericJSON object, byte-compatible with reference SIFs.
    pub oci_config: Vec<u8>,
    /// The image's labels.
    pub labels: BTreeMap<String, String>,
    /// The image's architecture (Go name) from its config, when it says.
    pub arch: Option<String>,
    /// Layers applied and their compressed bytes.
    pub layers: usize,
    pub bytes: u64,
}

/// Opens the source and resolves the image for `linux/<arch>`.
pub fn resolve(source: &OciSource, arch: &str) -> Result<(Store, ResolvedImage)> {
    let store = match source {
        OciSource::Layout { dir, .. } => {
            let meta = fs::metadata(dir).map_err(|source| ImportError::Read {
                path: dir.clone(),
                source,
            })?;
            if !meta.is_dir() {
                return Err(ImportError::Read {
                    path: dir.clone(),
                    source: std::io::Error::from(std::io::ErrorKind::NotADirectory),
                });
            }
            Store::Dir(dir.clone())
        }
        OciSource::OciArchive { file, .. } | OciSource::DockerArchive { file, .. } => {
            Store::open_tar(file)?
        }
    };
    let image = match source {
        OciSource::Layout { tag, .. } | OciSource::OciArchive { tag, .. } => {
            layout::resolve_oci(&store, tag.as_deref(), arch)?
        }
        OciSource::DockerArchive { reference, .. } => {
            layout::resolve_docker(&store, reference.as_deref())?
        }
    };
    Ok((store, image))
}

/// Returns the name of a signal received since the last call (SIGINT, SIGTERM, SIGHUP), if any.
pub type Interrupted<'a> = &'a dyn Fn() -> Option<String>;

/// Unpacks the image `source` for `linux/<arch>` into the empty directory `rootfs`, then adds
/// the `/.singularity.d` files. `interrupted` is polled after every layer entry, so a signal
/// stops a long import promptly. On error `rootfs` holds a partial tree: the caller's staging
/// directory guard removes it.
pub fn import(
    source: &OciSource,
    arch: &str,
    rootfs: &Path,
    progress: &mut dyn Progress,
    interrupted: Interrupted,
) -> Result<ImportedImage> {
    let span = tracing::info_span!("import", source = %source.path().display(), arch);
    let _enter = span.enter();
    let (store, image) = resolve(source, arch)?;
    let config = config::ConfigFile::parse(&image.config, store.origin())?;
    if let Some(image_arch) = &config.architecture
        && !image_arch.is_empty()
        && image_arch != arch
    {
        return Err(ImportError::ArchMismatch {
            source_desc: source.describe(),
            image: image_arch.clone(),
            requested: arch.to_string(),
        });
    }
    let mut applier = Applier::new(rootfs);
    let total = image.layers.len();
    let mut bytes = 0;
    for (i, l) in image.layers.iter().enumerate() {
        let name = l.name().to_string();
        tracing::debug!(layer = %name, member = %l.member, "applying layer");
        progress.layer_start(i + 1, total, l.name().short(), l.size);
        let (blob, _) = store.open(&l.member)?;
        let read_err = |source| ImportError::LayerRead {
            layer: name.clone(),
            source,
        };
        let stream = LayerStream::new(blob).map_err(read_err)?;
        let counter = stream.compressed_counter();
        let mut stream = stream;
        let mut last = 0u64;
        {
            let mut on_entry = || {
                if let Some(signal) = interrupted() {
                    return Err(ImportError::Interrupted { signal });
                }
                let now = counter.get();
                if now - last >= 1 << 20 {
                    last = now;
                    progress.layer_bytes(now);
                }
                Ok(())
            };
            applier.apply(&name, &mut stream, &mut on_entry)?;
        }
        let (digest, size, diff_id) = stream.finish().map_err(read_err)?;
        if let Some(expected) = &l.digest {
            if let Some(s) = l.size
                && s != size
            {
                return Err(ImportError::SizeMismatch {
                    source_path: store.origin().to_path_buf(),
                    digest: expected.to_string(),
                    expected: s,
                    actual: size,
                });
            }
            if *expected != digest {
                return Err(ImportError::DigestMismatch {
                    source_path: store.origin().to_path_buf(),
                    expected: expected.to_string(),
                    actual: digest.to_string(),
                });
            }
        }
        if diff_id != l.diff_id {
            return Err(ImportError::DiffIdMismatch {
                layer: name,
                expected: l.diff_id.to_string(),
                actual: diff_id.to_string(),
            });
        }
        bytes += size;
        progress.layer_end(size);
    }
    let image_config = config.image_config();
    let labels = image_config.labels();
    let root = root::Root::new(rootfs);
    let made =
        singularity::write(&root, &image_config, &labels, applier.newest()).map_err(|source| {
            ImportError::WriteFile {
                path: rootfs.join(".singularity.d"),
                source,
            }
        })?;
    for d in &made {
        applier.add_dir(d);
    }
    applier.finish()?;
    Ok(ImportedImage {
        oci_config: image_config.to_reference_json(),
        labels,
        arch: config.architecture.clone(),
        layers: total,
        bytes,
    })
}

/// The name of the image config object in the SIF (as reference SIFs name it).
pub const OCI_CONFIG_NAME: &str = "oci-config.json";

/// The `Source::Oci` arm of the build pipeline: unpacks the image into `staging/rootfs` and
/// hands over that tree, the `oci-config.json` object and the image's labels.
pub fn prepare(
    source: &OciSource,
    staging: &Path,
    arch: &Arch,
    progress: &mut dyn Progress,
    interrupted: Interrupted,
) -> crate::Result<super::Prepared> {
    let rootfs = staging.join("rootfs");
    fs::create_dir(&rootfs)
        .and_then(|()| root::set_dir_mode(&rootfs))
        .map_err(|source| ImportError::WriteFile {
            path: rootfs.clone(),
            source,
        })?;
    let image = import(source, arch.go_name(), &rootfs, progress, interrupted)?;
    progress.step("squashing the root filesystem");
    Ok(super::Prepared {
        root: rootfs,
        objects: vec![ObjectInput::bytes(
            DataType::GenericJson,
            OCI_CONFIG_NAME,
            image.oci_config,
        )],
        labels: image.labels,
    })
}

/// `sifter build --sandbox DIR SOURCE`: unpacks the image next to DIR and renames it into
/// place, so DIR appears complete or not at all. DIR must not exist or be empty.
pub fn build_sandbox(
    dest: &Path,
    source: &OciSource,
    arch: &Arch,
    progress: &mut dyn Progress,
) -> crate::Result<ImportedImage> {
    let taken = match fs::read_dir(dest) {
        Ok(mut entries) => entries.next().is_some(),
        Err(e) => e.kind() != std::io::ErrorKind::NotFound,
    };
    if taken {
        return Err(ImportError::SandboxExists {
            path: dest.to_path_buf(),
        }
        .into());
    }
    let staging = Staging::near(dest).map_err(|source| ImportError::WriteFile {
        path: dest.to_path_buf(),
        source,
    })?;
    // As for SIF builds (build/mod.rs): a signal becomes an error, so the staging dir goes.
    let signals = crate::signals::SignalGuard::block();
    let image = import(source, arch.go_name(), &staging.rootfs(), progress, &|| {
        signals.pending()
    })?;
    staging
        .into_sandbox(dest)
        .map_err(|source| ImportError::WriteFile {
            path: dest.to_path_buf(),
            source,
        })?;
    Ok(image)
}

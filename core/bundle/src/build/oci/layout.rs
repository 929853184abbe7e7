//! Resolves one image in an OCI image layout (`index.json`, nested indexes, manifests) or a
//! `docker save` archive into a verified image config and an ordered list of layer blobs.
//! A multi-platform index picks `linux/<arch>`. Every JSON blob is checked against its digest
//! and size before it is parsed.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::archive::{Store, docker_manifest};
use super::digest::Digest;
use super::error::{ImportError, Result};

const INDEX_TYPES: [&str; 2] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];
const REF_NAME: &str = "org.opencontainers.image.ref.name";

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    #[serde(default)]
    media_type: Option<String>,
    digest: String,
    size: u64,
    #[serde(default)]
    platform: Option<Platform>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
struct Platform {
    architecture: String,
    os: String,
    #[serde(default)]
    variant: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Index {
    manifests: Vec<Descriptor>,
}

#[derive(Debug, Deserialize)]
struct Manifest {
    config: Descriptor,
    layers: Vec<Descriptor>,
}

#[derive(Debug, Deserialize)]
struct ConfigRootfs {
    rootfs: RootFs,
}

#[derive(Debug, Deserialize)]
struct RootFs {
    diff_ids: Vec<String>,
}

/// One layer to apply: the member holding it and what it must hash to.
#[derive(Debug, Clone)]
pub struct LayerRef {
    /// The member name in the store (`blobs/sha256/<hex>` or `<id>/layer.tar`).
    pub member: String,
    /// The compressed blob's digest and size, when a manifest gives them.
    pub digest: Option<Digest>,
    pub size: Option<u64>,
    /// The uncompressed tar's digest from the image config.
    pub diff_id: Digest,
}

impl LayerRef {
    /// The name used in messages: the blob digest, else the diff-id.
    pub fn name(&self) -> &Digest {
        self.digest.as_ref().unwrap_or(&self.diff_id)
    }
}

/// A resolved image: its config bytes (verified) and its layers, bottom first.
#[derive(Debug)]
pub struct ResolvedImage {
    pub config: Vec<u8>,
    pub layers: Vec<LayerRef>,
}

fn invalid(store: &Store, what: &str, reason: impl ToString) -> ImportError {
    ImportError::Invalid {
        source_path: store.origin().to_path_buf(),
        what: what.to_string(),
        reason: reason.to_string(),
    }
}

fn parse<T: for<'de> Deserialize<'de>>(store: &Store, what: &str, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| invalid(store, what, e))
}

fn blob_member(d: &Digest) -> String {
    format!("blobs/sha256/{}", d.hex())
}

/// Reads a JSON blob and checks its digest and size.
fn read_blob(store: &Store, desc: &Descriptor) -> Result<(Digest, Vec<u8>)> {
    let digest = Digest::parse(&desc.digest, store.origin())?;
    let bytes = store.read_small(&blob_member(&digest))?;
    digest.verify(&bytes, Some(desc.size), store.origin())?;
    Ok((digest, bytes))
}

fn is_index(desc: &Descriptor, bytes: &[u8]) -> bool {
    match desc.media_type.as_deref() {
        Some(t) if INDEX_TYPES.contains(&t) => true,
        Some(_) => false,
        None => serde_json::from_slice::<serde_json::Value>(bytes)
            .is_ok_and(|v| v.get("manifests").is_some()),
    }
}

fn platform_name(p: &Option<Platform>) -> String {
    match p {
        Some(p) => match &p.variant {
            Some(v) => format!("{}/{}/{v}", p.os, p.architecture),
            None => format!("{}/{}", p.os, p.architecture),
        },
        None => "unknown".into(),
    }
}

/// Picks the `linux/<arch>` entry of a multi-platform list.
fn pick_platform(store: &Store, manifests: &[Descriptor], arch: &str) -> Result<Descriptor> {
    manifests
        .iter()
        .find(|d| {
            d.platform
                .as_ref()
                .is_some_and(|p| p.os == "linux" && p.architecture == arch)
        })
        .cloned()
        .ok_or_else(|| ImportError::NoPlatform {
            source_path: store.origin().to_path_buf(),
            arch: arch.to_string(),
            available: manifests
                .iter()
                .map(|d| platform_name(&d.platform))
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// Resolves the image tagged `tag` (or the only one) for `linux/<arch>` in an OCI layout.
pub fn resolve_oci(store: &Store, tag: Option<&str>, arch: &str) -> Result<ResolvedImage> {
    if !store.has("oci-layout") && store.has("manifest.json") {
        return Err(ImportError::WrongTransport {
            source_path: store.origin().to_path_buf(),
            expected: "an OCI image layout",
            reason: "it has a docker manifest.json and no oci-layout",
            transport: "docker-archive",
        });
    }
    let layout = store.read_small("oci-layout")?;
    let layout: serde_json::Value = parse(store, "oci-layout", &layout)?;
    if layout
        .get("imageLayoutVersion")
        .and_then(|v| v.as_str())
        .is_none()
    {
        return Err(invalid(store, "oci-layout", "no imageLayoutVersion"));
    }
    let index: Index = parse(store, "index.json", &store.read_small("index.json")?)?;
    let mut desc = match tag {
        Some(t) => index
            .manifests
            .iter()
            .find(|d| d.annotations.get(REF_NAME).map(String::as_str) == Some(t))
            .cloned()
            .ok_or_else(|| ImportError::NoSuchTag {
                source_path: store.origin().to_path_buf(),
                tag: t.to_string(),
                available: index
                    .manifests
                    .iter()
                    .filter_map(|d| d.annotations.get(REF_NAME).cloned())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?,
        None if index.manifests.len() == 1 => index.manifests[0].clone(),
        None if !index.manifests.is_empty()
            && index.manifests.iter().all(|d| d.platform.is_some()) =>
        {
            pick_platform(store, &index.manifests, arch)?
        }
        None => {
            return Err(ImportError::Ambiguous {
                source_path: store.origin().to_path_buf(),
                count: index.manifests.len(),
                hint: "oci:DIR:TAG".into(),
            });
        }
    };
    // Nested indexes (skopeo --all, docker buildx) until a manifest.
    for _ in 0..4 {
        let (_, bytes) = read_blob(store, &desc)?;
        if is_index(&desc, &bytes) {
            let nested: Index = parse(store, &format!("image index {}", desc.digest), &bytes)?;
            desc = pick_platform(store, &nested.manifests, arch)?;
            continue;
        }
        let manifest: Manifest = parse(store, &format!("manifest {}", desc.digest), &bytes)?;
        let (_, config) = read_blob(store, &manifest.config)?;
        let diff_ids = diff_ids(store, &config)?;
        if diff_ids.len() != manifest.layers.len() {
            return Err(invalid(
                store,
                &format!("manifest {}", desc.digest),
                format!(
                    "{} layers but the image config lists {} diff_ids",
                    manifest.layers.len(),
                    diff_ids.len()
                ),
            ));
        }
        let mut layers = Vec::new();
        for (l, diff_id) in manifest.layers.iter().zip(diff_ids) {
            let digest = Digest::parse(&l.digest, store.origin())?;
            layers.push(LayerRef {
                member: blob_member(&digest),
                digest: Some(digest),
                size: Some(l.size),
                diff_id,
            });
        }
        return Ok(ResolvedImage { config, layers });
    }
    Err(invalid(
        store,
        "index.json",
        "image indexes nested too deeply",
    ))
}

fn diff_ids(store: &Store, config: &[u8]) -> Result<Vec<Digest>> {
    let c: ConfigRootfs = parse(store, "image config", config)?;
    c.rootfs
        .diff_ids
        .iter()
        .map(|d| Digest::parse(d, store.origin()))
        .collect()
}

/// Resolves the image named `reference` (or the only one) in a `docker save` archive.
pub fn resolve_docker(store: &Store, reference: Option<&str>) -> Result<ResolvedImage> {
    if !store.has("manifest.json") && store.has("oci-layout") {
        return Err(ImportError::WrongTransport {
            source_path: store.origin().to_path_buf(),
            expected: "a docker-archive",
            reason: "it has an oci-layout and no manifest.json",
            transport: "oci-archive",
        });
    }
    let entry = docker_manifest(
        &store.read_small("manifest.json")?,
        reference,
        store.origin(),
    )?;
    let config = store.read_small(&entry.config)?;
    // The config's name is its digest: `<hex>.json` (docker ≤ 24) or `blobs/sha256/<hex>`.
    let stem = entry.config.trim_end_matches(".json");
    let hex = stem.rsplit('/').next().unwrap_or(stem);
    if let Ok(d) = Digest::parse(&format!("sha256:{hex}"), store.origin()) {
        d.verify(&config, None, store.origin())?;
    }
    let diff_ids = diff_ids(store, &config)?;
    if diff_ids.len() != entry.layers.len() {
        return Err(invalid(
            store,
            "manifest.json",
            format!(
                "{} layers but the image config lists {} diff_ids",
                entry.layers.len(),
                diff_ids.len()
            ),
        ));
    }
    let layers = entry
        .layers
        .iter()
        .zip(diff_ids)
        .map(|(member, diff_id)| {
            let digest = member
                .strip_prefix("blobs/sha256/")
                .and_then(|h| Digest::parse(&format!("sha256:{h}"), store.origin()).ok());
            LayerRef {
                member: member.clone(),
                digest,
                size: None,
                diff_id,
            }
        })
        .collect();
    Ok(ResolvedImage { config, layers })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::path::Path;

    fn put(dir: &Path, bytes: &[u8]) -> (String, usize) {
        let d = Digest::of(bytes);
        fs::write(dir.join("blobs/sha256").join(d.hex()), bytes).unwrap();
        (d.to_string(), bytes.len())
    }

    /// A layout whose index.json names tag "t": a two-platform index of manifests whose
    /// configs say which architecture they are.
    fn layout(dir: &Path) -> String {
        fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
        fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
        let mut entries = Vec::new();
        for arch in ["amd64", "arm64"] {
            let (cd, cs) = put(
                dir,
                format!(
                    r#"{{"architecture":"{arch}","rootfs":{{"type":"layers","diff_ids":[]}}}}"#
                )
                .as_bytes(),
            );
            let m = format!(
                r#"{{"schemaVersion":2,"config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{cd}","size":{cs}}},"layers":[]}}"#
            );
            let (md, ms) = put(dir, m.as_bytes());
            entries.push(format!(r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{md}","size":{ms},"platform":{{"architecture":"{arch}","os":"linux"}}}}"#));
        }
        let idx = format!(
            r#"{{"schemaVersion":2,"manifests":[{}]}}"#,
            entries.join(",")
        );
        let (id, is) = put(dir, idx.as_bytes());
        let top = format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"{id}","size":{is},"annotations":{{"org.opencontainers.image.ref.name":"t"}}}}]}}"#
        );
        fs::write(dir.join("index.json"), top).unwrap();
        id
    }

    #[test]
    fn multi_platform_index_picks_the_architecture() {
        let t = tempfile::tempdir().unwrap();
        layout(t.path());
        let store = Store::Dir(t.path().to_path_buf());
        for arch in ["amd64", "arm64"] {
            let img = resolve_oci(&store, Some("t"), arch).unwrap();
            let c: serde_json::Value = serde_json::from_slice(&img.config).unwrap();
            assert_eq!(c["architecture"], arch);
        }
        let e = resolve_oci(&store, None, "riscv64")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("no image for platform linux/riscv64 in "),
            "{e}"
        );
        assert!(e.ends_with("(available: linux/amd64, linux/arm64)"), "{e}");
        let e = resolve_oci(&store, Some("nope"), "amd64")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no image tagged \"nope\"") && e.ends_with("(available: t)"),
            "{e}"
        );
    }

    #[test]
    fn a_tampered_blob_is_named() {
        let t = tempfile::tempdir().unwrap();
        let id = layout(t.path());
        let hex = id.trim_start_matches("sha256:");
        let path = t.path().join("blobs/sha256").join(hex);
        let mut bytes = fs::read(&path).unwrap();
        bytes[0] = b' ';
        fs::write(&path, bytes).unwrap();
        let e = resolve_oci(&Store::Dir(t.path().to_path_buf()), None, "amd64")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(&format!("digest mismatch for blob {id} in ")),
            "{e}"
        );
    }
}

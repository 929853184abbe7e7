//! Parses the OCI source strings of `sifter build`: `oci:DIR[:TAG]`, `oci-archive:FILE[:TAG]`
//! and `docker-archive:FILE[:REPO:TAG]`. Pure; whether the paths exist is checked later.
//!
//! Like skopeo (containers/image `oci/layout` and `docker/archive` transports), the path ends
//! at the first `:` after the transport, so a path cannot contain `:`.

use std::path::PathBuf;

use super::error::{ImportError, Result};

/// Where an OCI image comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OciSource {
    /// An OCI image layout directory, with the `org.opencontainers.image.ref.name` to pick.
    Layout { dir: PathBuf, tag: Option<String> },
    /// A tar of an OCI image layout (`skopeo copy … oci-archive:`, `podman save --format oci-archive`).
    OciArchive { file: PathBuf, tag: Option<String> },
    /// A `docker save` tar (`manifest.json` at its root), with the `REPO:TAG` to pick.
    DockerArchive {
        file: PathBuf,
        reference: Option<String>,
    },
}

impl OciSource {
    /// Parses `TRANSPORT:PATH[:REF]`; `Ok(None)` when the string names no OCI transport (a
    /// plain directory source).
    pub fn parse(s: &str) -> Result<Option<OciSource>> {
        let Some((transport, rest)) = s.split_once(':') else {
            return Ok(None);
        };
        if !matches!(transport, "oci" | "oci-archive" | "docker-archive") {
            return Ok(None);
        }
        let (path, reference) = match rest.split_once(':') {
            Some((p, r)) => (p, Some(r)),
            None => (rest, None),
        };
        let bad = |reason: &str| ImportError::Reference {
            source_str: s.to_string(),
            reason: reason.to_string(),
        };
        if path.is_empty() {
            return Err(bad("the path is empty"));
        }
        if reference == Some("") {
            return Err(bad("the image reference after ':' is empty"));
        }
        let path = PathBuf::from(path);
        let reference = reference.map(str::to_string);
        Ok(Some(match transport {
            "oci" => OciSource::Layout {
                dir: path,
                tag: reference,
            },
            "oci-archive" => OciSource::OciArchive {
                file: path,
                tag: reference,
            },
            _ => {
                if let Some(r) = &reference
                    && !r.contains(':')
                {
                    return Err(bad("a docker-archive reference must be REPO:TAG"));
                }
                OciSource::DockerArchive {
                    file: path,
                    reference,
                }
            }
        }))
    }

    /// The same source with its path made absolute against `cwd`.
    pub fn absolute(self, cwd: &std::path::Path) -> OciSource {
        match self {
            OciSource::Layout { dir, tag } => OciSource::Layout {
                dir: cwd.join(dir),
                tag,
            },
            OciSource::OciArchive { file, tag } => OciSource::OciArchive {
                file: cwd.join(file),
                tag,
            },
            OciSource::DockerArchive { file, reference } => OciSource::DockerArchive {
                file: cwd.join(file),
                reference,
            },
        }
    }

    /// The source as the user would write it, for messages.
    pub fn describe(&self) -> String {
        let (transport, r) = match self {
            OciSource::Layout { tag, .. } => ("oci", tag),
            OciSource::OciArchive { tag, .. } => ("oci-archive", tag),
            OciSource::DockerArchive { reference, .. } => ("docker-archive", reference),
        };
        match r {
            Some(r) => format!("{transport}:{}:{r}", self.path().display()),
            None => format!("{transport}:{}", self.path().display()),
        }
    }

    /// The file or directory the image is read from.
    pub fn path(&self) -> &std::path::Path {
        match self {
            OciSource::Layout { dir, .. } => dir,
            OciSource::OciArchive { file, .. } | OciSource::DockerArchive { file, .. } => file,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_transport() {
        assert_eq!(
            OciSource::parse("oci:/img/layout:v1").unwrap(),
            Some(OciSource::Layout {
                dir: "/img/layout".into(),
                tag: Some("v1".into())
            })
        );
        assert_eq!(
            OciSource::parse("oci-archive:img.tar").unwrap(),
            Some(OciSource::OciArchive {
                file: "img.tar".into(),
                tag: None
            })
        );
        assert_eq!(
            OciSource::parse("docker-archive:d.tar:busybox:latest").unwrap(),
            Some(OciSource::DockerArchive {
                file: "d.tar".into(),
                reference: Some("busybox:latest".into())
            })
        );
    }

    #[test]
    fn absolute_and_describe() {
        let s = OciSource::parse("docker-archive:d.tar:a/b:c")
            .unwrap()
            .unwrap();
        let s = s.absolute(std::path::Path::new("/w"));
        assert_eq!(s.describe(), "docker-archive:/w/d.tar:a/b:c");
        let s = OciSource::parse("oci:/l")
            .unwrap()
            .unwrap()
            .absolute("/w".as_ref());
        assert_eq!(s.describe(), "oci:/l");
    }

    #[test]
    fn plain_directories_are_not_oci() {
        assert_eq!(OciSource::parse("/some/rootfs").unwrap(), None);
        assert_eq!(OciSource::parse("weird:thing").unwrap(), None);
    }

    #[test]
    fn refuses_empty_parts() {
        let e = OciSource::parse("oci:").unwrap_err().to_string();
        assert_eq!(e, "invalid image source \"oci:\": the path is empty");
        let e = OciSource::parse("oci:dir:").unwrap_err().to_string();
        assert_eq!(
            e,
            "invalid image source \"oci:dir:\": the image reference after ':' is empty"
        );
        let e = OciSource::parse("docker-archive:f.tar:latest")
            .unwrap_err()
            .to_string();
        assert!(e.contains("must be REPO:TAG"), "{e}");
    }
}

//! Content digests: parsing `sha256:<hex>`, hashing readers, and the checks that name the blob
//! when content and descriptor disagree. Only sha256 is accepted (the OCI image spec's
//! required algorithm; sha512 images are rare enough to refuse with a clear error).

use std::cell::Cell;
use std::io::{self, Read};
use std::path::Path;
use std::rc::Rc;

use sha2::{Digest as _, Sha256};

use super::error::{ImportError, Result};

/// A validated `sha256:<64 lower-case hex>` digest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest(String);

impl Digest {
    /// Parses a digest string; `source_path` only names the image in the error.
    pub fn parse(s: &str, source_path: &Path) -> Result<Digest> {
        let ok = s.strip_prefix("sha256:").is_some_and(|hex| {
            hex.len() == 64
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        });
        if ok {
            Ok(Digest(s.to_string()))
        } else {
            Err(ImportError::BadDigest {
                source_path: source_path.to_path_buf(),
                digest: s.to_string(),
            })
        }
    }

    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest(format!("sha256:{}", hex(&Sha256::digest(bytes))))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The hex part, which is also the blob's file name under `blobs/sha256/`.
    pub fn hex(&self) -> &str {
        &self.0["sha256:".len()..]
    }

    /// A short form for progress lines: `sha256:` plus 12 hex digits.
    pub fn short(&self) -> &str {
        &self.0[..19]
    }

    /// Checks `bytes` against this digest (and `size` when the descriptor gives one).
    pub fn verify(&self, bytes: &[u8], size: Option<u64>, source_path: &Path) -> Result<()> {
        if let Some(expected) = size
            && expected != bytes.len() as u64
        {
            return Err(ImportError::SizeMismatch {
                source_path: source_path.to_path_buf(),
                digest: self.0.clone(),
                expected,
                actual: bytes.len() as u64,
            });
        }
        let actual = Digest::of(bytes);
        if actual != *self {
            return Err(ImportError::DigestMismatch {
                source_path: source_path.to_path_buf(),
                expected: self.0.clone(),
                actual: actual.0,
            });
        }
        Ok(())
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Lower-case hex of a byte string.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A reader that hashes and counts what passes through it; the count is shared so a progress
/// display can poll it while a decompressor owns the reader.
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    count: Rc<Cell<u64>>,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            count: Rc::new(Cell::new(0)),
        }
    }

    /// The shared byte counter.
    pub fn counter(&self) -> Rc<Cell<u64>> {
        self.count.clone()
    }

    /// Reads the rest of the stream (a tar may end before its compressed container does),
    /// then returns the digest and byte count of everything read.
    pub fn finish(self) -> io::Result<(Digest, u64)> {
        self.finish_inner().map(|(d, n, _)| (d, n))
    }

    /// Like `finish`, and gives the inner reader back.
    pub fn finish_inner(mut self) -> io::Result<(Digest, u64, R)> {
        io::copy(&mut self, &mut io::sink())?;
        let digest = Digest(format!("sha256:{}", hex(&self.hasher.finalize())));
        Ok((digest, self.count.get(), self.inner))
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn parses_and_refuses() {
        let p = Path::new("img");
        assert_eq!(Digest::parse(EMPTY, p).unwrap().hex().len(), 64);
        for bad in [
            "sha512:abc",
            "sha256:ABC",
            "sha256:../../etc/passwd",
            EMPTY.trim_end_matches('5'),
        ] {
            let e = Digest::parse(bad, p).unwrap_err().to_string();
            assert!(e.starts_with("invalid digest"), "{e}");
        }
    }

    #[test]
    fn verify_names_the_blob() {
        let d = Digest::parse(EMPTY, Path::new("img")).unwrap();
        d.verify(b"", Some(0), Path::new("img")).unwrap();
        let e = d
            .verify(b"x", None, Path::new("img"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(&format!("digest mismatch for blob {EMPTY} in img")),
            "{e}"
        );
        let e = d
            .verify(b"x", Some(0), Path::new("img"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("descriptor says 0 bytes, blob has 1"), "{e}");
    }

    #[test]
    fn hashing_reader_counts_and_hashes() {
        let r = HashingReader::new(&b"hello"[..]);
        let counter = r.counter();
        let (d, n) = r.finish().unwrap();
        assert_eq!((n, counter.get()), (5, 5));
        assert_eq!(d, Digest::of(b"hello"));
    }
}

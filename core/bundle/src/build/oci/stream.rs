//! A layer blob as a byte stream: the compressed bytes are hashed (blob digest), the
//! compression is recognised by its magic number (gzip, zstd or none, whatever the media type
//! says), and the uncompressed tar is hashed again (diff-id).

use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

use flate2::bufread::MultiGzDecoder;
use ruzstd::decoding::StreamingDecoder;

use super::digest::{Digest, HashingReader};

type Raw = BufReader<HashingReader<Box<dyn Read>>>;

/// The decompressor chosen for a blob.
enum Decoder {
    Plain(Raw),
    Gzip(MultiGzDecoder<Raw>),
    /// Concatenated zstd frames; `None` between frames.
    Zstd(
        Option<Box<StreamingDecoder<Raw, ruzstd::decoding::FrameDecoder>>>,
        Option<Raw>,
    ),
}

fn zstd_err(e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("zstd: {e}"))
}

impl Read for Decoder {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decoder::Plain(r) => r.read(buf),
            Decoder::Gzip(r) => r.read(buf),
            Decoder::Zstd(dec, rest) => loop {
                if let Some(d) = dec.as_mut() {
                    let n = d.read(buf)?;
                    if n > 0 || buf.is_empty() {
                        return Ok(n);
                    }
                    *rest = dec.take().map(|d| d.into_inner());
                }
                let mut raw = rest.take().expect("raw reader between frames");
                if raw.fill_buf()?.is_empty() {
                    *rest = Some(raw);
                    return Ok(0);
                }
                *dec = Some(Box::new(StreamingDecoder::new(raw).map_err(zstd_err)?));
            },
        }
    }
}

impl Decoder {
    fn into_raw(self) -> Raw {
        match self {
            Decoder::Plain(r) => r,
            Decoder::Gzip(r) => r.into_inner(),
            Decoder::Zstd(Some(d), _) => d.into_inner(),
            Decoder::Zstd(None, rest) => rest.expect("raw reader"),
        }
    }
}

/// The compression a blob uses, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// The uncompressed tar stream of one layer blob.
pub struct LayerStream {
    inner: HashingReader<Decoder>,
    compressed: Rc<Cell<u64>>,
    pub compression: Compression,
}

impl LayerStream {
    pub fn new(blob: Box<dyn Read>) -> io::Result<LayerStream> {
        let hashed = HashingReader::new(blob);
        let compressed = hashed.counter();
        let mut raw = BufReader::with_capacity(256 << 10, hashed);
        let compression = Compression::sniff(raw.fill_buf()?);
        let decoder = match compression {
            Compression::None => Decoder::Plain(raw),
            Compression::Gzip => Decoder::Gzip(MultiGzDecoder::new(raw)),
            Compression::Zstd => Decoder::Zstd(
                Some(Box::new(StreamingDecoder::new(raw).map_err(zstd_err)?)),
                None,
            ),
        };
        Ok(LayerStream {
            inner: HashingReader::new(decoder),
            compressed,
            compression,
        })
    }

    /// Compressed bytes read so far (for progress).
    pub fn compressed_counter(&self) -> Rc<Cell<u64>> {
        self.compressed.clone()
    }

    /// Drains both streams and returns (blob digest, blob size, diff-id).
    /// A tar ends with zero blocks that the tar reader may leave unread, and a compressed
    /// stream with a trailer: both are read here so the digests cover every byte.
    pub fn finish(self) -> io::Result<(Digest, u64, Digest)> {
        let (diff_id, _, decoder) = self.inner.finish_inner()?;
        let mut raw = decoder.into_raw();
        io::copy(&mut raw, &mut io::sink())?;
        let (blob, size) = raw.into_inner().finish()?;
        Ok((blob, size, diff_id))
    }
}

impl Read for LayerStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

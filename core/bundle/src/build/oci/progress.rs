//! Progress of an image import: which layer, and how many of its bytes are read. The library
//! only reports through the `Progress` trait; the CLI's `render` module draws it on a terminal
//! (and draws nothing in quiet mode). Line formatting is pure and lives here.

/// Receives progress events; every method defaults to doing nothing.
pub trait Progress {
    /// Layer `index` (1-based) of `total` starts; `size` is the compressed size when known.
    fn layer_start(&mut self, _index: usize, _total: usize, _name: &str, _size: Option<u64>) {}
    /// `done` compressed bytes of the current layer have been read.
    fn layer_bytes(&mut self, _done: u64) {}
    /// The current layer is applied.
    fn layer_end(&mut self, _done: u64) {}
    /// A later step starts (e.g. "writing squashfs").
    fn step(&mut self, _what: &str) {}
}

/// Reports nothing (quiet mode, tests).
pub struct NoProgress;

impl Progress for NoProgress {}

/// `12.3 MiB`-style sizes (binary units, one decimal from KiB up).
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// One progress line: `layer 2/5 sha256:0123456789ab  12.0 MiB / 40.0 MiB`.
pub fn layer_line(index: usize, total: usize, name: &str, done: u64, size: Option<u64>) -> String {
    let of = size.map(|s| format!(" / {}", human(s))).unwrap_or_default();
    format!("layer {index}/{total} {name}  {}{of}", human(done))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_lines() {
        assert_eq!(human(512), "512 B");
        assert_eq!(human(1536), "1.5 KiB");
        assert_eq!(human(40 << 20), "40.0 MiB");
        assert_eq!(
            layer_line(2, 5, "sha256:0123456789ab", 12 << 20, Some(40 << 20)),
            "layer 2/5 sha256:0123456789ab  12.0 MiB / 40.0 MiB"
        );
        assert_eq!(layer_line(1, 1, "x", 0, None), "layer 1/1 x  0 B");
    }
}

//! The reader never panics on damaged input: every truncation of a real image errors, and
//! thousands of random byte flips in its header and descriptor table (fixed seed) either error
//! or yield an image whose objects all lie inside the file without overlapping.

use crate::support;
use sifter_sif::{DataType, SifImage};
use std::io::Cursor;
use std::path::Path;

/// End of busybox_amd64.sif's descriptor table (4096 + 48 × 585).
const TABLE_END: usize = 32176;

fn busybox() -> Vec<u8> {
    std::fs::read(support::reference_image("busybox_amd64.sif")).unwrap()
}

#[test]
fn every_truncation_of_header_and_table_errors() {
    let bytes = busybox();
    for n in 0..TABLE_END {
        let res = SifImage::from_reader(Cursor::new(&bytes[..n]), Path::new("cut.sif"));
        assert!(res.is_err(), "truncated to {n} bytes but parsed");
    }
    // Cut inside the data too: the last object ends at the end of the file, so any cut leaves
    // an object outside it.
    for n in (TABLE_END..bytes.len()).step_by(1009) {
        let err =
            SifImage::from_reader(Cursor::new(&bytes[..n]), Path::new("cut.sif")).unwrap_err();
        assert!(
            err.to_string().contains("lies outside the file"),
            "{n}: {err}"
        );
    }
    assert!(SifImage::from_reader(Cursor::new(&bytes[..]), Path::new("whole.sif")).is_ok());
}

/// xorshift64*: a tiny deterministic PRNG.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Where flips land: the header, and the used descriptors' fields (the rest of the table is
/// zero padding, where a flip only makes a slot "used").
fn flip_target(rng: &mut Rng) -> usize {
    match rng.below(4) {
        0 => rng.below(128),
        1 | 2 => 4096 + rng.below(5 * 585),
        _ => rng.below(TABLE_END),
    }
}

#[test]
fn random_byte_flips_never_panic() {
    let mut bytes = busybox();
    let file_size = bytes.len() as u64;
    let mut rng = Rng(0x5eed_0f51_f7e7);
    let (mut ok, mut err) = (0, 0);
    for case in 0..5000 {
        let flips: Vec<(usize, u8)> = (0..1 + rng.below(4))
            .map(|_| (flip_target(&mut rng), 1 + rng.below(255) as u8))
            .collect();
        let saved: Vec<u8> = flips.iter().map(|&(at, _)| bytes[at]).collect();
        for &(at, x) in &flips {
            bytes[at] ^= x;
        }
        match SifImage::from_reader(Cursor::new(&bytes), Path::new("flip.sif")) {
            Ok(img) => {
                ok += 1;
                let mut spans: Vec<(u64, u64)> = Vec::new();
                for d in img.descriptors() {
                    assert!(d.offset + d.size <= file_size, "case {case}: {d:?}");
                    if d.size > 0 {
                        spans.push((d.offset, d.offset + d.size));
                    }
                }
                spans.sort();
                assert!(
                    spans.windows(2).all(|w| w[0].1 <= w[1].0),
                    "case {case}: overlapping objects {spans:?}"
                );
                let _ = img.primary_partition();
                let _ = img.find_by_name(DataType::GenericJson, "oci-config.json");
                let _ = img.header().uuid_string();
            }
            Err(e) => {
                err += 1;
                assert!(e.to_string().contains("flip.sif"), "case {case}: {e}");
            }
        }
        for (&(at, _), &b) in flips.iter().zip(&saved) {
            bytes[at] = b;
        }
    }
    assert_eq!(ok + err, 5000);
    assert!(ok > 0 && err > 0, "ok {ok}, err {err}");
}

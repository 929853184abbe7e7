//! Fuzz target `parse`: any bytes through `SifImage::from_reader` and the lookups. Must never
//! panic; an accepted image must keep every object inside the input without overlaps.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sifter_sif::{DataType, SifImage};
use std::io::Cursor;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(img) = SifImage::from_reader(Cursor::new(data), Path::new("fuzz.sif")) else {
        return;
    };
    let mut spans: Vec<(u64, u64)> = Vec::new();
    for d in img.descriptors() {
        assert!(d.offset + d.size <= data.len() as u64);
        if d.size > 0 {
            spans.push((d.offset, d.offset + d.size));
        }
        let _ = d.partition();
    }
    spans.sort();
    assert!(spans.windows(2).all(|w| w[0].1 <= w[1].0));
    let _ = img.primary_partition();
    let _ = img.find_by_name(DataType::GenericJson, "oci-config.json");
    let _ = img.header().uuid_string();
});

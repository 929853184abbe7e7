//! `sifter sif list IMAGE`: one row per used descriptor, like the reference `siftool list`.

use super::view;
use crate::args::sif::{Format, ImageArgs};
use crate::context::Context;
use crate::io::Io;
use crate::{Result, render};
use sifter_sif::SifImage;

pub fn run(_ctx: &Context, args: ImageArgs, io: &mut Io) -> Result<u8> {
    let img = SifImage::open(&args.image)?;
    match args.format {
        Format::Json => {
            let rows: Vec<_> = img
                .descriptors()
                .iter()
                .map(view::descriptor_json)
                .collect();
            render::json(io, &rows)?;
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = img.descriptors().iter().map(view::list_row).collect();
            render::stdout(io, &render::table(&view::LIST_COLUMNS, &rows))?;
        }
    }
    Ok(0)
}

//! `sifter sif header IMAGE`: the global header.

use super::view;
use crate::args::sif::{Format, ImageArgs};
use crate::context::Context;
use crate::io::Io;
use crate::{Result, render};
use sifter_sif::SifImage;

pub fn run(_ctx: &Context, args: ImageArgs, io: &mut Io) -> Result<u8> {
    let img = SifImage::open(&args.image)?;
    match args.format {
        Format::Json => render::json(io, &view::header_json(&img))?,
        Format::Table => render::stdout(io, &view::fields(&view::header_fields(&img)))?,
    }
    Ok(0)
}

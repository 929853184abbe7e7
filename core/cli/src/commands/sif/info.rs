//! `sifter sif info IMAGE ID`: every field of one descriptor.

use super::view;
use crate::args::sif::{Format, ObjectArgs};
use crate::context::Context;
use crate::io::Io;
use crate::{Result, render};
use sifter_sif::SifImage;

pub fn run(_ctx: &Context, args: ObjectArgs, io: &mut Io) -> Result<u8> {
    let img = SifImage::open(&args.image)?;
    let d = img.descriptor(args.id)?;
    match args.format {
        Format::Json => render::json(io, &view::descriptor_json(d))?,
        Format::Table => render::stdout(io, &view::fields(&view::info_fields(d)))?,
    }
    Ok(0)
}

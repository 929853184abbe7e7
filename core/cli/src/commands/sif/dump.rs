//! `sifter sif dump IMAGE ID`: the raw bytes of one object on stdout.

use crate::args::sif::DumpArgs;
use crate::context::Context;
use crate::io::Io;
use crate::{Result, render};
use sifter_sif::SifImage;

pub fn run(_ctx: &Context, args: DumpArgs, io: &mut Io) -> Result<u8> {
    let img = SifImage::open(&args.image)?;
    let d = img.descriptor(args.id)?;
    let bytes = img.read_data(d)?;
    render::stdout_bytes(io, &bytes)?;
    Ok(0)
}

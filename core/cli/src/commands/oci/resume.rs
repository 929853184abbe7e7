//! `sifter oci resume`.

use super::engine::{engine, finish};
use crate::Result;
use crate::args::oci::IdArgs;
use crate::context::Context;
use crate::io::Io;

pub fn run(ctx: &Context, args: IdArgs, io: &mut Io) -> Result<u8> {
    let engine = engine(ctx)?;
    let r = sifter_runtime::ops::resume::resume(&engine, &args.id);
    finish(ctx, &engine, io, r)?;
    Ok(0)
}

//! `sifter oci delete`.

use super::engine::{engine, finish};
use crate::Result;
use crate::args::oci::DeleteArgs;
use crate::context::Context;
use crate::io::Io;

pub fn run(ctx: &Context, args: DeleteArgs, io: &mut Io) -> Result<u8> {
    let engine = engine(ctx)?;
    let r = sifter_runtime::ops::delete::delete(&engine, &args.id, args.force);
    finish(ctx, &engine, io, r)?;
    Ok(0)
}

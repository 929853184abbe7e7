//! `sifter oci state`: the state JSON, pretty-printed.

use super::engine::{engine, finish};
use crate::args::oci::IdArgs;
use crate::context::Context;
use crate::io::Io;
use crate::{Result, render};

pub fn run(ctx: &Context, args: IdArgs, io: &mut Io) -> Result<u8> {
    let engine = engine(ctx)?;
    let r = sifter_runtime::ops::state::state(&engine, &args.id);
    let state = finish(ctx, &engine, io, r)?;
    render::json(io, &state)?;
    Ok(0)
}

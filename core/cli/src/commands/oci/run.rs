//! `sifter oci run`: create, attach, start, wait, delete in one engine call; exits with the
//! container's code.

use super::engine::{engine, streams, warnings};
use crate::Result;
use crate::args::oci::CreateArgs;
use crate::context::Context;
use crate::io::Io;

pub fn run(ctx: &Context, args: CreateArgs, io: &mut Io) -> Result<u8> {
    let engine = engine(ctx)?;
    let req = super::create::request(ctx, args);
    let r = sifter_runtime::ops::run::run(&engine, &req, streams(io));
    warnings(ctx, &engine, io);
    Ok(r?.clamp(0, 255) as u8)
}

//! `sifter oci attach`: relays the container's I/O; exits with its code, or 0 on detach.

use super::engine::{engine, streams, warnings};
use crate::args::oci::IdArgs;
use crate::context::Context;
use crate::io::Io;
use crate::{Result, render};
use sifter_runtime::ops::attach::AttachEnd;

pub fn run(ctx: &Context, args: IdArgs, io: &mut Io) -> Result<u8> {
    let engine = engine(ctx)?;
    let r = sifter_runtime::ops::attach::attach(&engine, &args.id, streams(io));
    warnings(ctx, &engine, io);
    match r? {
        AttachEnd::Exited(code) => Ok(code.clamp(0, 255) as u8),
        AttachEnd::Detached => {
            render::detached(io, &ctx.global, &args.id);
            Ok(0)
        }
    }
}

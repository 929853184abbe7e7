//! `sifter oci exec`: runs the command in the container; exits with its code.

use super::engine::{engine, streams, warnings};
use crate::Result;
use crate::args::oci::ExecArgs;
use crate::context::Context;
use crate::io::Io;
use sifter_runtime::ops::exec::ExecRequest;

pub fn run(ctx: &Context, args: ExecArgs, io: &mut Io) -> Result<u8> {
    let engine = engine(ctx)?;
    let mut command = args.command;
    // A `--` right after the ID is dropped (oci-reference.md §2.2 item 5).
    if command.first().is_some_and(|a| a == "--") {
        command.remove(0);
    }
    let req = ExecRequest {
        id: args.id,
        tty: args.tty,
        env: args.env,
        cwd: args.cwd,
        command,
    };
    let r = sifter_runtime::ops::exec::exec(&engine, &req, streams(io));
    warnings(ctx, &engine, io);
    Ok(r?.clamp(0, 255) as u8)
}

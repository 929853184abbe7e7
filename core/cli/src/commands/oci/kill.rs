//! `sifter oci kill`: signal precedence `--force` > positional > `--signal` > SIGTERM.

use super::engine::{engine, finish};
use crate::Result;
use crate::args::oci::KillArgs;
use crate::context::Context;
use crate::io::Io;

pub fn run(ctx: &Context, args: KillArgs, io: &mut Io) -> Result<u8> {
    let signal = if args.force {
        "KILL".to_string()
    } else {
        args.positional_signal.unwrap_or(args.signal)
    };
    let engine = engine(ctx)?;
    let r = sifter_runtime::ops::kill::kill(&engine, &args.id, &signal, args.timeout);
    finish(ctx, &engine, io, r)?;
    Ok(0)
}

//! `sifter oci log-relay` (hidden): the log relay process that `create` starts.

use super::engine::engine;
use crate::Result;
use crate::args::oci::IdArgs;
use crate::context::Context;
use crate::io::Io;

pub fn run(ctx: &Context, args: IdArgs, _io: &mut Io) -> Result<u8> {
    let engine = engine(ctx)?;
    sifter_runtime::ops::log_relay::log_relay(&engine, &args.id)?;
    Ok(0)
}

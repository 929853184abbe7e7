//! `sifter oci kill`.

use crate::args::oci::KillArgs;
use crate::context::Context;
use crate::io::Io;
use crate::{CliError, Result};

pub fn run(_ctx: &Context, _args: KillArgs, _io: &mut Io) -> Result<u8> {
    Err(CliError::Pending { what: "sifter oci kill" })
}

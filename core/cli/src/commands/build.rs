//! `sifter build OUT.sif SOURCE`.

use crate::args::build::BuildArgs;
use crate::context::Context;
use crate::io::Io;
use crate::{CliError, Result};

pub fn run(_ctx: &Context, _args: BuildArgs, _io: &mut Io) -> Result<u8> {
    Err(CliError::Pending {
        what: "sifter build",
    })
}

//! `sifter oci create`.

use crate::args::oci::CreateArgs;
use crate::context::Context;
use crate::io::Io;
use crate::{CliError, Result};

pub fn run(_ctx: &Context, _args: CreateArgs, _io: &mut Io) -> Result<u8> {
    Err(CliError::Pending { what: "sifter oci create" })
}

//! `sifter oci mount`.

use crate::args::oci::MountArgs;
use crate::context::Context;
use crate::io::Io;
use crate::{CliError, Result};

pub fn run(_ctx: &Context, _args: MountArgs, _io: &mut Io) -> Result<u8> {
    Err(CliError::Pending { what: "sifter oci mount" })
}

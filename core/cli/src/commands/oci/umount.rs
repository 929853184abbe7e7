//! `sifter oci umount`.

use crate::args::oci::UmountArgs;
use crate::context::Context;
use crate::io::Io;
use crate::{CliError, Result};

pub fn run(_ctx: &Context, _args: UmountArgs, _io: &mut Io) -> Result<u8> {
    Err(CliError::Pending { what: "sifter oci umount" })
}

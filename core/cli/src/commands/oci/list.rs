//! `sifter oci list`.

use crate::args::oci::ListArgs;
use crate::context::Context;
use crate::io::Io;
use crate::{CliError, Result};

pub fn run(_ctx: &Context, _args: ListArgs, _io: &mut Io) -> Result<u8> {
    Err(CliError::Pending { what: "sifter oci list" })
}

//! `sifter oci exec`.

use crate::args::oci::ExecArgs;
use crate::context::Context;
use crate::io::Io;
use crate::{CliError, Result};

pub fn run(_ctx: &Context, _args: ExecArgs, _io: &mut Io) -> Result<u8> {
    Err(CliError::Pending { what: "sifter oci exec" })
}

//! `sifter oci delete`.

use crate::args::oci::DeleteArgs;
use crate::context::Context;
use crate::io::Io;
use crate::{CliError, Result};

pub fn run(_ctx: &Context, _args: DeleteArgs, _io: &mut Io) -> Result<u8> {
    Err(CliError::Pending { what: "sifter oci delete" })
}

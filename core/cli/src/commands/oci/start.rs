//! `sifter oci start`.

use crate::args::oci::IdArgs;
use crate::context::Context;
use crate::io::Io;
use crate::{CliError, Result};

pub fn run(_ctx: &Context, _args: IdArgs, _io: &mut Io) -> Result<u8> {
    Err(CliError::Pending { what: "sifter oci start" })
}

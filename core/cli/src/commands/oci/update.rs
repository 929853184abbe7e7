//! `sifter oci update`.

use crate::args::oci::UpdateArgs;
use crate::context::Context;
use crate::io::Io;
use crate::{CliError, Result};

pub fn run(_ctx: &Context, _args: UpdateArgs, _io: &mut Io) -> Result<u8> {
    Err(CliError::Pending { what: "sifter oci update" })
}

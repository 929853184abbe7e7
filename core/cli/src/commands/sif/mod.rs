//! `sifter sif …`: read-only views of a SIF image.

use crate::args::sif::SifCommand;
use crate::context::Context;
use crate::io::Io;
use crate::{CliError, Result};

pub fn run(_ctx: &Context, cmd: SifCommand, _io: &mut Io) -> Result<u8> {
    match cmd {
        SifCommand::List(_) => Err(CliError::Pending {
            what: "sifter sif list",
        }),
    }
}

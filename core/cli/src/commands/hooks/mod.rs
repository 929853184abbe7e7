//! `sifter hooks …`: introspection of the site's hooks.

use crate::args::hooks::HooksCommand;
use crate::context::Context;
use crate::io::Io;
use crate::{CliError, Result};

pub fn run(_ctx: &Context, cmd: HooksCommand, _io: &mut Io) -> Result<u8> {
    match cmd {
        HooksCommand::List => Err(CliError::Pending {
            what: "sifter hooks list",
        }),
    }
}

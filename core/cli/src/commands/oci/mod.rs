//! `sifter oci …`: checks root (after parsing, before anything else: oci-reference.md §2.2),
//! then hands over to one file per subcommand.

use crate::args::oci::OciCommand;
use crate::context::Context;
use crate::io::Io;
use crate::{CliError, Result};

pub fn run(ctx: &Context, cmd: OciCommand, _io: &mut Io) -> Result<u8> {
    let sub = cmd.name();
    if !nix::unistd::geteuid().is_root() {
        return Err(CliError::NotRoot { sub });
    }
    let _ = ctx;
    Err(CliError::Pending {
        what: "this oci subcommand",
    })
}

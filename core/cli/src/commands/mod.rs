//! One module per subcommand group; each subcommand is one small file that makes one library
//! call and one call into `render`.

pub mod build;
pub mod hooks;
pub mod oci;
pub mod sif;

use crate::Result;
use crate::args::{Cli, Command};
use crate::context::Context;
use crate::io::Io;

/// Runs the parsed command; the `u8` is the exit status.
pub fn dispatch(cli: Cli, io: &mut Io) -> Result<u8> {
    let ctx = Context::resolve(&cli.global)?;
    match cli.command {
        Command::Sif(cmd) => sif::run(&ctx, cmd, io),
        Command::Build(args) => build::run(&ctx, args, io),
        Command::Oci(cmd) => oci::run(&ctx, cmd, io),
        Command::Hooks(cmd) => hooks::run(&ctx, cmd, io),
    }
}

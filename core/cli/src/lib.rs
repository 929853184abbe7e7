//! The `sifter` command line as a library: argument parsing ([`args`]), the resolved
//! [`context::Context`], one file per subcommand under [`commands`], and [`render`], the only
//! module that prints. Tests drive [`main_with`] in-process with a captured [`Io`].

pub mod args;
pub mod commands;
pub mod context;
pub mod error;
pub mod io;
mod plugins;
pub mod render;

pub use args::Cli;
pub use error::{CliError, Result};
pub use io::Io;

use clap::Parser;
use std::ffi::OsString;

/// Parses `args` (including the program name) and runs the command.
/// Returns the process exit status: 0, 255 for every error, or the container's or command's
/// own code for `run`, `exec` and `attach`.
pub fn main_with<I, T>(args: I, io: &mut Io) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    match Cli::try_parse_from(&args) {
        Ok(cli) => run(cli, io),
        Err(err) => render::clap_error(io, &err, &args),
    }
}

/// Runs an already parsed command line.
pub fn run(cli: Cli, io: &mut Io) -> u8 {
    if cli.global.debug && cli.global.quiet {
        return render::usage_error(io, "--debug and --quiet cannot be used together", None);
    }
    render::init_tracing(&cli.global);
    match commands::dispatch(cli, io) {
        Ok(status) => status,
        Err(err) => render::fatal(io, &err),
    }
}

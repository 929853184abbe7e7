//! The `sifter` binary: installs tracing, hands the command line to [`sifter_cli::main_with`]
//! and turns its status into the process exit code. Nothing else lives here.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    ExitCode::from(sifter_cli::main_with(args, &mut sifter_cli::Io::stdio()))
}

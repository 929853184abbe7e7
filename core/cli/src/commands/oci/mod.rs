//! `sifter oci …`: checks root (after parsing, before anything else: oci-reference.md §2.2),
//! then hands over to one file per subcommand.

mod attach;
mod create;
mod delete;
mod engine;
mod exec;
mod kill;
mod list;
mod log_relay;
mod mount;
mod pause;
mod resume;
mod run;
mod start;
mod state;
mod umount;
mod update;

use crate::args::oci::OciCommand;
use crate::context::Context;
use crate::io::Io;
use crate::{CliError, Result};

pub fn run(ctx: &Context, cmd: OciCommand, io: &mut Io) -> Result<u8> {
    let sub = cmd.name();
    if !nix::unistd::geteuid().is_root() {
        return Err(CliError::NotRoot { sub });
    }
    match cmd {
        OciCommand::Mount(args) => mount::run(ctx, args, io),
        OciCommand::Umount(args) => umount::run(ctx, args, io),
        OciCommand::Create(args) => create::run(ctx, args, io),
        OciCommand::Start(args) => start::run(ctx, args, io),
        OciCommand::State(args) => state::run(ctx, args, io),
        OciCommand::Attach(args) => attach::run(ctx, args, io),
        OciCommand::Kill(args) => kill::run(ctx, args, io),
        OciCommand::Delete(args) => delete::run(ctx, args, io),
        OciCommand::Run(args) => run::run(ctx, args, io),
        OciCommand::Exec(args) => exec::run(ctx, args, io),
        OciCommand::Pause(args) => pause::run(ctx, args, io),
        OciCommand::Resume(args) => resume::run(ctx, args, io),
        OciCommand::Update(args) => update::run(ctx, args, io),
        OciCommand::List(args) => list::run(ctx, args, io),
        OciCommand::LogRelay(args) => log_relay::run(ctx, args, io),
    }
}

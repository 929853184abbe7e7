//! `sifter sif …`: read-only views of a SIF image (list, info, header, dump).

mod dump;
mod header;
mod info;
mod list;
pub mod view;

use crate::Result;
use crate::args::sif::SifCommand;
use crate::context::Context;
use crate::io::Io;

pub fn run(ctx: &Context, cmd: SifCommand, io: &mut Io) -> Result<u8> {
    match cmd {
        SifCommand::List(args) => list::run(ctx, args, io),
        SifCommand::Info(args) => info::run(ctx, args, io),
        SifCommand::Header(args) => header::run(ctx, args, io),
        SifCommand::Dump(args) => dump::run(ctx, args, io),
    }
}

//! `sifter oci umount [--force] BUNDLE` (oci-reference.md §6): path made absolute, one library
//! call, warnings rendered. The bundle's container blocks the unmount; `--force` deleting it
//! first is wired in by the lifecycle engine.

use crate::args::oci::UmountArgs;
use crate::context::Context;
use crate::io::Io;
use crate::{Result, render};
use sifter_bundle::UmountOptions;

pub fn run(ctx: &Context, args: UmountArgs, io: &mut Io) -> Result<u8> {
    let bundle = ctx.absolute(&args.bundle);
    let opts = UmountOptions { force: args.force };
    let outcome = sifter_bundle::umount(&ctx.root, &bundle, &opts)?;
    for w in &outcome.warnings {
        render::warning(io, &ctx.global, w);
    }
    Ok(0)
}

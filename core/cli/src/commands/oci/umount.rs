//! `sifter oci umount [--force] BUNDLE` (oci-reference.md §6): path made absolute, one library
//! call, warnings rendered. The bundle's container blocks the unmount; with `--force` the
//! lifecycle engine deletes it first (`delete --force`, hooks included), but only for a bundle
//! that has a mount record, so a wrong path still touches nothing.

use crate::args::oci::UmountArgs;
use crate::context::Context;
use crate::io::Io;
use crate::{Result, render};
use sifter_bundle::UmountOptions;

pub fn run(ctx: &Context, args: UmountArgs, io: &mut Io) -> Result<u8> {
    let bundle = ctx.absolute(&args.bundle);
    let opts = UmountOptions { force: args.force };
    if args.force && matches!(sifter_bundle::read_record(&bundle), Ok(Some(_))) {
        let engine = super::engine::engine(ctx)?;
        let r = sifter_runtime::ops::delete::delete_bundle_container(&engine, &bundle);
        super::engine::finish(ctx, &engine, io, r)?;
    }
    let outcome = sifter_bundle::umount(&ctx.root, &bundle, &opts)?;
    for w in &outcome.warnings {
        render::warning(io, &ctx.global, w);
    }
    Ok(0)
}

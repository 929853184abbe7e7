//! `sifter build OUT.sif SOURCE`: one call to `sifter_bundle::build::build`, then one INFO line.

use crate::args::build::BuildArgs;
use crate::context::Context;
use crate::io::Io;
use crate::{Result, render};
use sifter_bundle::build::{self, BuildOptions, Source, Stamp, parse_key_value};

pub fn run(ctx: &Context, args: BuildArgs, io: &mut Io) -> Result<u8> {
    let stamp = if args.deterministic {
        Stamp::deterministic()
    } else {
        Stamp::now()?
    };
    let mut opts = BuildOptions::new(stamp);
    opts.deterministic = args.deterministic;
    for l in &args.labels {
        let (k, v) = parse_key_value("--label", l)?;
        opts.labels.insert(k, v);
    }
    for e in &args.env {
        opts.env.push(parse_key_value("--env", e)?);
    }
    opts.runscript = args.runscript.as_deref().map(|p| ctx.absolute(p));
    let source = Source::parse(&args.source, &ctx.cwd)?;
    let out = ctx.absolute(&args.output);
    let done = build::build(&out, &source, &opts)?;
    render::info(
        io,
        &ctx.global,
        &format!(
            "Built {} ({} bytes; primary partition id {}, squashfs {} bytes)",
            args.output.display(),
            done.size,
            done.partition_id,
            done.squashfs_size
        ),
    );
    Ok(0)
}

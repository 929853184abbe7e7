//! `sifter build OUT.sif SOURCE`: one call to `sifter_bundle::build::build`, then one INFO line.

use crate::args::build::BuildArgs;
use crate::context::Context;
use crate::io::Io;
use crate::{Result, render};
use sifter_bundle::BundleError;
use sifter_bundle::build::oci::{self, ImportError};
use sifter_bundle::build::{self, BuildOptions, Source, Stamp, parse_key_value};
use sifter_sif::Arch;

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
    if let Some(a) = &args.arch {
        opts.arch = Arch::from_go_name(a).ok_or_else(|| BundleError::BuildArgument {
            what: "--arch",
            value: a.clone(),
            reason: "not a known architecture (use a Go name such as amd64 or arm64)",
        })?;
    }
    let source = Source::parse(&args.source, &ctx.cwd)?;
    let out = ctx.absolute(&args.output);
    if args.sandbox {
        let Source::Oci(image) = &source else {
            return Err(BundleError::from(ImportError::SandboxSource {
                source_desc: source.describe(),
            })
            .into());
        };
        let mut progress = render::BuildProgress::new(io, &ctx.global);
        let done = oci::build_sandbox(&out, image, &opts.arch, &mut progress)?;
        drop(progress);
        let msg = format!(
            "Built sandbox {} ({} layers, {} bytes read)",
            args.output.display(),
            done.layers,
            done.bytes
        );
        render::info(io, &ctx.global, &msg);
        return Ok(0);
    }
    let mut progress = render::BuildProgress::new(io, &ctx.global);
    let done = build::build_with_progress(&out, &source, &opts, &mut progress)?;
    drop(progress);
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

//! `sifter oci mount [--fuse] SIF BUNDLE` (oci-reference.md §3): paths made absolute, one
//! library call, warnings rendered.

use crate::args::oci::MountArgs;
use crate::context::Context;
use crate::io::Io;
use crate::{Result, render};
use sifter_bundle::{BundleError, MountOptions};

pub fn run(ctx: &Context, args: MountArgs, io: &mut Io) -> Result<u8> {
    // squashfuse is looked up in the site search path (oci-reference.md §5.1); the loop
    // method runs no program, so only --fuse reads the site config.
    let search_path = if args.fuse {
        sifter_hooks::SiteConfig::load(&ctx.config_path, ctx.config_explicit)?.search_path()
    } else {
        Vec::new()
    };
    let opts = MountOptions {
        fuse: args.fuse,
        search_path,
        fault: fault_from_env(),
    };
    let sif = ctx.absolute(&args.image);
    let bundle = ctx.absolute(&args.bundle);
    match sifter_bundle::mount(&ctx.root, &sif, &bundle, &opts) {
        Ok(outcome) => {
            for w in &outcome.warnings {
                render::warning(io, &ctx.global, w);
            }
            Ok(0)
        }
        Err(err) => {
            if let BundleError::RollbackIncomplete { bundle, .. } = &err {
                let msg = format!(
                    "rollback of {0} is incomplete; run sifter oci umount {0}",
                    bundle.display()
                );
                render::warning(io, &ctx.global, &msg);
            }
            Err(err.into())
        }
    }
}

/// Test-only fault injection (oci-reference.md §3.4), compiled into debug builds only:
/// `SIFTER_FAULT_INJECT=<step>` fails that step, `SIFTER_STOP_AT=<step>` stops the process
/// (SIGSTOP) right after it, for the kill -9 tests. Steps: `sifter_bundle::STEPS`.
#[cfg(debug_assertions)]
fn fault_from_env() -> Option<sifter_bundle::Fault> {
    use sifter_bundle::{Fault, FaultAction};
    let get = |k| std::env::var(k).ok().filter(|v: &String| !v.is_empty());
    get("SIFTER_FAULT_INJECT")
        .map(|step| Fault {
            step,
            action: FaultAction::Fail,
        })
        .or_else(|| {
            get("SIFTER_STOP_AT").map(|step| Fault {
                step,
                action: FaultAction::Stop,
            })
        })
}

#[cfg(not(debug_assertions))]
fn fault_from_env() -> Option<sifter_bundle::Fault> {
    None
}

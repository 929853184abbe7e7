//! `sifter hooks …`: introspection of the site's hooks (hooks.md §12). None of these needs root
//! or starts a container; each file makes its library calls and hands the result to `render`.

mod check;
mod list;
mod preview;

use crate::args::hooks::{DryRunArgs, HooksCommand};
use crate::context::Context;
use crate::io::Io;
use crate::{CliError, Result};
use sifter_hook_api::{ImageInfo, UserInfo};
use sifter_hooks::Invocation;
use std::collections::BTreeMap;
use std::path::Path;

pub fn run(ctx: &Context, cmd: HooksCommand, io: &mut Io) -> Result<u8> {
    match cmd {
        HooksCommand::List(args) => list::run(ctx, args, io),
        HooksCommand::Check(args) => check::run(ctx, args, io),
        HooksCommand::Preview(args) => preview::run(ctx, args, io),
    }
}

/// Where the config came from: `flag`, `env`, `default` or `builtin` (default path missing).
pub(crate) fn config_source(ctx: &Context) -> &'static str {
    match (&ctx.global.config, ctx.config_explicit) {
        (Some(_), _) => "flag",
        (None, true) => "env",
        _ if ctx.config_path.exists() => "default",
        _ => "builtin",
    }
}

/// The image facts of `bundle` from its mount record, as `oci create` reads them.
fn image_info(bundle: &Path) -> Option<ImageInfo> {
    let r = sifter_bundle::read_record(bundle).ok()??;
    Some(ImageInfo {
        sif_path: r.sif_path().display().to_string(),
        sif_id: r.sif_id().to_string(),
        labels: r.labels().clone(),
        arch: r.arch().to_string(),
    })
}

/// The invocation of a dry run: same inputs as `oci create` would use.
pub(crate) fn invocation(id: &str, bundle: &Path, dry: &DryRunArgs) -> Result<Invocation> {
    let user = match &dry.as_user {
        Some(who) => {
            Some(UserInfo::lookup(who).ok_or_else(|| CliError::UnknownUser { who: who.clone() })?)
        }
        None => None,
    };
    let mut extra = BTreeMap::new();
    for a in &dry.annotations {
        let (k, v) = a
            .split_once('=')
            .ok_or_else(|| CliError::BadAnnotation { value: a.clone() })?;
        extra.insert(k.to_string(), v.to_string());
    }
    Ok(Invocation {
        id: id.to_string(),
        bundle: bundle.to_path_buf(),
        devices: dry.devices.clone(),
        image: image_info(bundle),
        user,
        extra_annotations: extra,
    })
}

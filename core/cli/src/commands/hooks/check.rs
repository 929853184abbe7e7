//! `sifter hooks check`: every problem at once (hooks.md §12): the config file, each directory,
//! script and library, names, `enable` names, orphan settings tables, and a dry
//! `mutate_config` pass on the bundle's config or on the default config `oci mount` writes.

use super::invocation;
use crate::args::hooks::{CheckArgs, Format};
use crate::context::Context;
use crate::io::Io;
use crate::{Result, render};
use serde_json::json;
use sifter_hooks::{PluginError, Registry, SiteConfig, effective};
use std::path::{Path, PathBuf};

/// The container id of the dry pass.
pub const CHECK_ID: &str = "sifter-check";

pub fn run(ctx: &Context, args: CheckArgs, io: &mut Io) -> Result<u8> {
    let mut problems: Vec<String> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let site = match SiteConfig::load(&ctx.config_path, ctx.config_explicit) {
        Ok(s) => s,
        Err(e) => {
            problems.push(e.to_string());
            SiteConfig::default()
        }
    };
    let (registry, load_problems) = Registry::load_all(&site, &ctx.config_path);
    problems.extend(load_problems.iter().map(PluginError::to_string));
    for name in site.plugins.keys() {
        if !registry.entries().iter().any(|e| &e.name == name) {
            let e = PluginError::OrphanSettings {
                name: name.clone(),
                config: ctx.config_path.clone(),
            };
            problems.push(e.to_string());
        }
    }
    let bundle = args
        .bundle
        .as_ref()
        .map(|b| ctx.absolute(b))
        .unwrap_or_else(|| PathBuf::from("/").join(CHECK_ID));
    let inv = invocation(CHECK_ID, &bundle, &args.dry)?;
    let report = match &args.bundle {
        Some(_) => effective::report(&registry, &inv),
        None => effective::report_spec(&registry, &inv, default_config(&bundle)),
    };
    match report.result {
        Ok(_) => {}
        Err(e) if e.is_rejection() => notes.push(format!("dry run: {e}")),
        Err(e) => problems.push(format!("dry run: {e}")),
    }
    match args.dry.format {
        Format::Json => render::json(
            io,
            &json!({"problems": problems, "notes": notes, "hooks": registry.entries().len()}),
        )?,
        Format::Text => {
            let mut text = String::new();
            for n in &notes {
                text.push_str(&format!("note: {n}\n"));
            }
            for p in &problems {
                text.push_str(&format!("problem: {p}\n"));
            }
            text.push_str(&match problems.len() {
                0 => format!("ok: {} hooks, no problems\n", registry.entries().len()),
                1 => "1 problem\n".to_string(),
                n => format!("{n} problems\n"),
            });
            render::stdout(io, &text)?;
        }
    }
    Ok(if problems.is_empty() {
        0
    } else {
        render::FAILURE
    })
}

/// The config `sifter oci mount` writes for an image without an image config.
fn default_config(bundle: &Path) -> sifter_hook_api::oci_spec::runtime::Spec {
    let host = sifter_bundle::config::HostInfo {
        bundle: bundle.to_path_buf(),
        entry_point: None,
        passwd: None,
    };
    sifter_bundle::config::generate(&Default::default(), &host).spec
}

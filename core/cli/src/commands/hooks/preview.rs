//! `sifter hooks preview`: steps 1–5 of hooks.md §2 on an in-memory copy, through the same
//! `effective` function `oci create` uses, so stdout is exactly the bytes create writes. One
//! block per step (header and unified diff) goes to stderr; `--format json` puts all on stdout.

use super::invocation;
use crate::args::hooks::{Format, PreviewArgs};
use crate::context::Context;
use crate::io::Io;
use crate::{Result, render};
use serde_json::json;
use sifter_hooks::effective::{self, Step};
use sifter_hooks::{Registry, SiteConfig};

pub fn run(ctx: &Context, args: PreviewArgs, io: &mut Io) -> Result<u8> {
    let site = SiteConfig::load(&ctx.config_path, ctx.config_explicit)?;
    let registry = Registry::load(&site, &ctx.config_path)?;
    for w in registry.warnings() {
        render::warning(io, &ctx.global, w);
    }
    let bundle = ctx.absolute(&args.bundle);
    let inv = invocation(&args.id, &bundle, &args.dry)?;
    let report = effective::report(&registry, &inv);
    match args.dry.format {
        Format::Text => {
            render::stderr_text(io, &blocks(&report.steps));
            let eff = report.result?;
            render::stdout_bytes(io, &eff.bytes)?;
        }
        Format::Json => {
            let steps: Vec<serde_json::Value> = report.steps.iter().map(step_json).collect();
            let eff = match report.result {
                Ok(eff) => eff,
                Err(e) => {
                    render::json(io, &json!({"config": null, "steps": steps}))?;
                    return Err(e.into());
                }
            };
            let config: serde_json::Value =
                serde_json::from_slice(&eff.bytes).expect("canonical JSON parses");
            render::json(io, &json!({"config": config, "steps": steps}))?;
        }
    }
    Ok(0)
}

fn step_json(s: &Step) -> serde_json::Value {
    json!({
        "name": s.name, "kind": s.kind, "origin": s.origin, "duration_us": s.duration_us,
        "diff": effective::unified_diff(&s.before, &s.after), "provenance": s.provenance,
    })
}

/// One header line and the diff per step.
pub fn blocks(steps: &[Step]) -> String {
    let mut out = String::new();
    for s in steps {
        out.push_str(&format!(
            "== {} ({}, {}) mutate_config {:.2} ms: {}\n",
            s.name,
            s.kind,
            s.origin,
            s.duration_us as f64 / 1000.0,
            effective::summary(&s.provenance)
        ));
        out.push_str(&effective::unified_diff(&s.before, &s.after));
    }
    out
}

//! `sifter hooks list`: the config source, the searched directories and every hook in run
//! order, disabled ones included (hooks.md §12).

use super::config_source;
use crate::args::hooks::{Format, ListArgs};
use crate::context::Context;
use crate::io::Io;
use crate::{Result, render};
use serde_json::json;
use sifter_hooks::{Registry, SiteConfig};

pub fn run(ctx: &Context, args: ListArgs, io: &mut Io) -> Result<u8> {
    let site = SiteConfig::load(&ctx.config_path, ctx.config_explicit)?;
    let (registry, problems) = Registry::load_all(&site, &ctx.config_path);
    for p in &problems {
        render::warning(io, &ctx.global, &p.to_string());
    }
    let source = config_source(ctx);
    match args.format {
        Format::Json => render::json(io, &as_json(ctx, &registry, source))?,
        Format::Text => render::stdout(io, &as_text(ctx, &registry, source))?,
    }
    Ok(0)
}

fn as_json(ctx: &Context, r: &Registry, source: &str) -> serde_json::Value {
    let dirs = |kind: &str| -> Vec<serde_json::Value> {
        r.dirs()
            .iter()
            .filter(|d| d.kind == kind)
            .map(|d| json!({"path": d.path, "status": d.status}))
            .collect()
    };
    let hooks: Vec<serde_json::Value> = r
        .entries()
        .iter()
        .map(|e| {
            json!({
                "name": e.name, "kind": e.kind.as_str(), "origin": e.origin,
                "priority": e.priority, "declared_priority": e.declared_priority,
                "points": e.points.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
                "enabled": e.enabled,
            })
        })
        .collect();
    json!({
        "config": {"path": ctx.config_path, "source": source},
        "lua_dirs": dirs("lua"),
        "plugin_dirs": dirs("plugin"),
        "hooks": hooks,
    })
}

fn as_text(ctx: &Context, r: &Registry, source: &str) -> String {
    let how = match source {
        "flag" => "--config",
        "env" => "SIFTER_CONFIG",
        "default" => "default path",
        _ => "not found, built-in defaults",
    };
    let dirs = |kind: &str| -> String {
        r.dirs()
            .iter()
            .filter(|d| d.kind == kind)
            .map(|d| format!("{} ({})", d.path.display(), d.status))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = format!(
        "config: {} ({how})\nlua dirs: {}\nplugin dirs: {}\n",
        ctx.config_path.display(),
        dirs("lua"),
        dirs("plugin")
    );
    let prio: Vec<String> = r
        .entries()
        .iter()
        .map(|e| match e.priority == e.declared_priority {
            true => e.priority.to_string(),
            false => format!("{} ({})", e.priority, e.declared_priority),
        })
        .collect();
    let width = prio
        .iter()
        .map(String::len)
        .max()
        .unwrap_or(0)
        .max("PRIORITY".len());
    let rows: Vec<Vec<String>> = r
        .entries()
        .iter()
        .zip(&prio)
        .map(|(e, p)| {
            vec![
                e.name.clone(),
                e.kind.as_str().to_string(),
                format!("{p:>width$}"),
                e.points.names(),
                if e.enabled { "enabled" } else { "disabled" }.to_string(),
                e.origin.clone(),
            ]
        })
        .collect();
    out.push_str(&render::table(
        &[
            "NAME",
            "KIND",
            &format!("{:>width$}", "PRIORITY"),
            "POINTS",
            "STATUS",
            "ORIGIN",
        ],
        &rows,
    ));
    out
}

//! Builds the lifecycle [`Engine`] from the resolved context (site config, state root,
//! `--runtime`, the `sifter` executable for the log relay), and renders its WARNINGs.

use crate::context::Context;
use crate::io::Io;
use crate::{Result, render};
use sifter_runtime::{Engine, EngineConfig};
use std::path::PathBuf;

pub fn engine(ctx: &Context) -> Result<Engine> {
    let site = sifter_hooks::SiteConfig::load(&ctx.config_path, ctx.config_explicit)?;
    Ok(Engine::new(EngineConfig {
        root: ctx.root.clone(),
        runtime: ctx.global.runtime.clone(),
        site,
        config_path: ctx.config_path.clone(),
        debug: ctx.global.debug,
        sifter_exe: sifter_exe(),
    }))
}

/// This executable, or — when running inside the test binary `target/<profile>/deps/…` —
/// the `sifter` binary of the same profile.
fn sifter_exe() -> PathBuf {
    let me = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("sifter"));
    let is_sifter = me
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("sifter"));
    if is_sifter {
        return me;
    }
    me.parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join("sifter"))
        .unwrap_or(me)
}

/// Renders the engine's collected WARNINGs.
pub fn warnings(ctx: &Context, engine: &Engine, io: &mut Io) {
    for w in engine.take_warnings() {
        render::warning(io, &ctx.global, &w);
    }
}

/// Renders WARNINGs, then passes the result on.
pub fn finish<T>(
    ctx: &Context,
    engine: &Engine,
    io: &mut Io,
    r: sifter_runtime::Result<T>,
) -> Result<T> {
    warnings(ctx, engine, io);
    Ok(r?)
}

/// The caller's streams as the runtime sees them.
pub fn streams(io: &mut Io) -> sifter_runtime::foreground::Streams<'_> {
    let is_stdio = io.is_stdio();
    sifter_runtime::foreground::Streams {
        stdin: &mut *io.stdin,
        stdout: &mut *io.stdout,
        stderr: &mut *io.stderr,
        is_stdio,
    }
}

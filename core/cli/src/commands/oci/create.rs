//! `sifter oci create`: one call to the engine, then the INFO line.

use super::engine::{engine, finish};
use crate::args::oci::{CreateArgs, LogFormat};
use crate::context::Context;
use crate::io::Io;
use crate::{Result, render};
use sifter_runtime::ops::{LogFormat as RtLogFormat, create::CreateRequest};

pub fn run(ctx: &Context, args: CreateArgs, io: &mut Io) -> Result<u8> {
    let engine = engine(ctx)?;
    let req = request(ctx, args);
    let r = sifter_runtime::ops::create::create(&engine, &req);
    let pid = finish(ctx, &engine, io, r)?;
    render::info(
        io,
        &ctx.global,
        &format!("Container {} created with PID {pid}", req.id),
    );
    Ok(0)
}

/// The engine's request from `create`/`run` flags, with paths made absolute.
pub(super) fn request(ctx: &Context, args: CreateArgs) -> CreateRequest {
    CreateRequest {
        id: args.id,
        bundle: ctx.absolute(&args.bundle),
        log_path: args.log_path.map(|p| ctx.absolute(&p)),
        log_format: match args.log_format {
            LogFormat::Kubernetes => RtLogFormat::Kubernetes,
            LogFormat::Json => RtLogFormat::Json,
            LogFormat::Basic => RtLogFormat::Basic,
        },
        pid_file: args.pid_file.map(|p| ctx.absolute(&p)),
        devices: args.devices,
    }
}

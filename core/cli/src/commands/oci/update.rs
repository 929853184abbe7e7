//! `sifter oci update`: resources from `--from-file PATH` or stdin (`-`).

use super::engine::{engine, finish};
use crate::Result;
use crate::args::oci::UpdateArgs;
use crate::context::Context;
use crate::io::Io;
use sifter_runtime::RuntimeError;

pub fn run(ctx: &Context, args: UpdateArgs, io: &mut Io) -> Result<u8> {
    let from = args.from_file.ok_or(RuntimeError::NoFromFile)?;
    let (bytes, name) = if from.as_os_str() == "-" {
        let mut buf = Vec::new();
        io.stdin
            .read_to_end(&mut buf)
            .map_err(RuntimeError::io("read", "stdin"))?;
        (buf, "stdin".to_string())
    } else {
        let path = ctx.absolute(&from);
        let bytes = std::fs::read(&path).map_err(RuntimeError::io("read", &path))?;
        (bytes, path.display().to_string())
    };
    let engine = engine(ctx)?;
    let r = sifter_runtime::ops::update::update(&engine, &args.id, &bytes, &name);
    finish(ctx, &engine, io, r)?;
    Ok(0)
}

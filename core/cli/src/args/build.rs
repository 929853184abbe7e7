//! `sifter build` arguments.

use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The SIF file to write
    pub output: PathBuf,
    /// The source: a root filesystem directory
    pub source: String,
}

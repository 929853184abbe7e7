//! `sifter build` arguments.

use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The SIF file to write (replaced atomically)
    pub output: PathBuf,
    /// The source: a root filesystem directory
    pub source: String,
    /// Reproducible output: nil UUID, zero times, pinned squashfs time
    #[arg(long)]
    pub deterministic: bool,
    /// Add a label to the image's JSON labels object (repeatable)
    #[arg(long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,
    /// Export a variable from /.singularity.d/env/90-environment.sh (repeatable)
    #[arg(long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Install FILE as /.singularity.d/runscript
    #[arg(long, value_name = "FILE")]
    pub runscript: Option<PathBuf>,
}

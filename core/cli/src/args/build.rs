//! `sifter build` arguments.

use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The SIF file to write (replaced atomically), or the directory to create with --sandbox
    pub output: PathBuf,
    /// The source: a root filesystem directory, oci:DIR[:TAG], oci-archive:FILE[:TAG] or
    /// docker-archive:FILE[:REPO:TAG]
    pub source: String,
    /// Write the image's root filesystem to the directory OUTPUT instead of a SIF (OCI sources)
    #[arg(long)]
    pub sandbox: bool,
    /// Platform to take from a multi-platform OCI image, as a Go architecture name
    /// (amd64, arm64, ...; default: the host's); also recorded in the SIF
    #[arg(long, value_name = "ARCH")]
    pub arch: Option<String>,
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

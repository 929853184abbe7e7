//! clap derive structs for the whole command line; doc comments are the help text.
//! No logic lives here.

pub mod build;
pub mod hooks;
pub mod oci;
pub mod sif;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Run SIF container images as OCI containers through runc or crun
#[derive(Debug, Parser)]
#[command(name = "sifter", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags accepted by every subcommand, anywhere on the line (spec oci-reference.md §2.1).
#[derive(Debug, Clone, Default, Args)]
pub struct GlobalArgs {
    /// State root directory
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// OCI runtime: runc, crun or a path to an executable
    #[arg(long, global = true, value_name = "runc|crun|PATH")]
    pub runtime: Option<String>,
    /// Site configuration file (default /etc/sifter/sifter.toml, or $SIFTER_CONFIG)
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print debugging messages, including every runtime and conmon command line
    #[arg(short = 'd', long, global = true)]
    pub debug: bool,
    /// Suppress INFO and WARNING messages
    #[arg(short = 'q', long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
// Each subcommand's arguments are built only when it is the one used (clap `defer`):
// building the whole tree was a third of the CPU a short command like `oci start` spent.
#[command(defer = true)]
pub enum Command {
    /// Inspect SIF images
    #[command(subcommand)]
    Sif(sif::SifCommand),
    /// Build a SIF image from a root filesystem directory or an OCI image
    Build(build::BuildArgs),
    /// Manage OCI bundles and containers (root user only)
    #[command(subcommand)]
    Oci(oci::OciCommand),
    /// Inspect and test the site's hooks
    #[command(subcommand)]
    Hooks(hooks::HooksCommand),
}

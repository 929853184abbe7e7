//! `sifter sif …` arguments.

use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    #[default]
    Table,
    Json,
}

#[derive(Debug, Subcommand)]
// Each subcommand's arguments are built only when it is the one used (clap `defer`):
// building the whole tree was a third of the CPU a short command like `oci start` spent.
#[command(defer = true)]
pub enum SifCommand {
    /// List the data objects of a SIF image
    List(ImageArgs),
    /// Show the descriptor of one data object
    Info(ObjectArgs),
    /// Show the global header of a SIF image
    Header(ImageArgs),
    /// Write the bytes of one data object to standard output
    Dump(DumpArgs),
}

#[derive(Debug, Args)]
pub struct ImageArgs {
    /// The SIF image
    pub image: PathBuf,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct ObjectArgs {
    /// The SIF image
    pub image: PathBuf,
    /// The object id (as shown by `sifter sif list`)
    pub id: u32,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct DumpArgs {
    /// The SIF image
    pub image: PathBuf,
    /// The object id (as shown by `sifter sif list`)
    pub id: u32,
}

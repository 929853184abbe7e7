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
pub enum SifCommand {
    /// List the data objects of a SIF image
    List(ImageArgs),
}

#[derive(Debug, Args)]
pub struct ImageArgs {
    /// The SIF image
    pub image: PathBuf,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

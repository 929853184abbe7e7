//! `sifter hooks …` arguments.

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum HooksCommand {
    /// List the hooks in the order they run
    List,
}

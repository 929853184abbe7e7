//! `sifter hooks …` arguments (hooks.md §12).

use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
// Each subcommand's arguments are built only when it is the one used (clap `defer`):
// building the whole tree was a third of the CPU a short command like `oci start` spent.
#[command(defer = true)]
pub enum HooksCommand {
    /// List the hooks in the order they run, with the searched directories
    List(ListArgs),
    /// Check the site's hook setup and report every problem (exit 255 if any)
    Check(CheckArgs),
    /// Print the effective config `oci create` would write, with a diff per hook on stderr
    Preview(PreviewArgs),
}

/// Output format of the hooks commands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Inputs of a dry `mutate_config` run, shared by `check` and `preview`.
#[derive(Debug, Args)]
pub struct DryRunArgs {
    /// Act as if the user config carried this annotation (split at the first '=')
    #[arg(long = "annotation", value_name = "KEY=VALUE")]
    pub annotations: Vec<String>,
    /// Request a CDI device, as `oci create --device` does
    #[arg(long = "device", value_name = "NAME")]
    pub devices: Vec<String>,
    /// Fill the hooks' user from the passwd and group data of this account
    #[arg(long = "as-user", value_name = "UID|NAME")]
    pub as_user: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Bundle whose config.json the dry run uses (default: the config `oci mount` writes)
    #[arg(short = 'b', long, value_name = "BUNDLE")]
    pub bundle: Option<PathBuf>,
    #[command(flatten)]
    pub dry: DryRunArgs,
}

#[derive(Debug, Args)]
pub struct PreviewArgs {
    /// Bundle directory holding config.json
    #[arg(short = 'b', long, value_name = "BUNDLE")]
    pub bundle: PathBuf,
    /// Container id the hooks see
    #[arg(long, default_value = "preview")]
    pub id: String,
    #[command(flatten)]
    pub dry: DryRunArgs,
}
